package dev.cnf.activities.evaluate;

import ai.djl.ndarray.NDManager;
import dev.cnf.activities.conditions.Conditions;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.models.WeightObjects;
import dev.cnf.activities.registry.ModelRegistry;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.model.BaseModel;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Weights;
import dev.cnf.model.pipelines.ControlNetSampler;
import dev.cnf.workflows.spec.EvaluationSpec;
import dev.cnf.workflows.stages.EvaluateActivities;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The published ControlNets the final evaluation composes with the run's own ({@code composeWith}), as diffusers'
 * MultiControlNetModel: each with its version's weights and hint encoder, its scale, and its own condition extracted
 * (seeded) from each held-out image. The validate activity has checked that they share the run's base and that their
 * conditions need no annotator.
 */
final class Composition {
    private Composition() {}

    static List<ControlNetSampler.Control> controls(EvaluateActivities.Request r, List<Sample> held, int size, BaseModel base,
                                                    NDManager manager, ObjectStore store) {
        ModelRegistry registry = new ModelRegistry(store);
        List<ControlNetSampler.Control> controls = new ArrayList<>();
        for (EvaluationSpec.Composed c : r.evaluation().composed()) {
            String version = registry.resolve(c.name(), c.version());
            Map<String, Object> card = registry.card(c.name(), version);
            ControlNet net = base.withHintEncoder(String.valueOf(card.getOrDefault("hintEncoder", "diffusers"))).newControlNet(manager, r.run().seed());
            try {
                Weights.load(net, WeightObjects.get(store, ModelRegistry.dir(c.name(), version) + ModelRegistry.WEIGHTS_FILE));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String condition = String.valueOf(card.get("condition"));
            List<float[]> conditions = new ArrayList<>();
            for (int i = 0; i < held.size(); i++) {
                var bgr = OpenCv.decodeBgr(store.get(held.get(i).imageKey()));
                if (bgr.rows() != size || bgr.cols() != size) {
                    throw new IllegalStateException("held-out image " + held.get(i).imageKey() + " is " + bgr.cols() + "x" + bgr.rows()
                            + ", the run's resolution is " + size);
                }
                conditions.add(OpenCv.toChw(Conditions.byName(condition).extract(bgr, new SplittableRandom(r.run().seed() + i)).image(), 0f, 1f));
            }
            controls.add(new ControlNetSampler.Control(net, conditions, (float) c.scale()));
        }
        return controls;
    }

    /** The composed ControlNets as the report and metrics name them, latest resolved to its version. */
    static List<String> labels(EvaluateActivities.Request r, ObjectStore store) {
        ModelRegistry registry = new ModelRegistry(store);
        return r.evaluation().composed().stream()
                .map(c -> new EvaluationSpec.Composed(c.name(), registry.resolve(c.name(), c.version()), c.scale()).label()).toList();
    }
}
