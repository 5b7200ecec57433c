package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.Map;

/**
 * Publishes a versioned, checksummed, diffusers-layout model folder; the manifest is written last,
 * nothing is overwritten, and the version becomes {@code latest} only if it passes the promotion gate.
 */
@ActivityInterface
public interface PublishActivities {
    /**
     * @param configKey          the ControlNet's diffusers config.json
     * @param promotionTolerance how much worse than the current latest this version may score on the gate's metric (fraction of its full scale) and still be promoted
     * @param baseUnetKey        large mode: the jointly trained base UNet, published beside the ControlNet (null otherwise)
     */
    record Request(String name, String version, String weightsKey, String configKey, String reportKey,
                   String evalMetricsKey, Map<String, String> card, double promotionTolerance, String samplesKey,
                   String baseUnetKey) {}

    /** @param promoted whether latest.json now names this version; {@code decision} says why or why not */
    record Result(String modelUri, String manifestUri, String reportUri, boolean promoted, String decision) {}

    @ActivityMethod
    Result publish(Request request);
}
