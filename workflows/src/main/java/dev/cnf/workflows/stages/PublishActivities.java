package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.Map;

/** Publishes a versioned, checksummed model folder; the manifest is written last and nothing is overwritten. */
@ActivityInterface
public interface PublishActivities {
    record Request(String name, String version, String weightsKey, String configKey, String reportKey,
                   String evalMetricsKey, Map<String, String> card) {}

    record Result(String modelUri, String manifestUri, String reportUri) {}

    @ActivityMethod
    Result publish(Request request);
}
