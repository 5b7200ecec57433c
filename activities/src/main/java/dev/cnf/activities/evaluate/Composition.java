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
 * conditions need no annotator. Versions are resolved once, so that what is sampled is what the metrics and the
 * report name, even if a {@code latest} moves meanwhile.
 *
 * @param composed each ControlNet with its version resolved
 * @param cards    their model cards (hint encoder, condition), in the same order
 */
record Composition(List<EvaluationSpec.Composed> composed, List<Map<String, Object>> cards) {
    /** What {@code r} composes: nothing for evaluations during training, which never compose. */
    static Composition of(EvaluateActivities.Request r, ObjectStore store) {
        List<EvaluationSpec.Composed> composed = new ArrayList<>();
        List<Map<String, Object>> cards = new ArrayList<>();
        if (r.atStep() == null) {
            ModelRegistry registry = new ModelRegistry(store);
            for (EvaluationSpec.Composed c : r.evaluation().composed()) {
                String version = registry.resolve(c.name(), c.version());
                composed.add(new EvaluationSpec.Composed(c.name(), version, c.scale()));
                cards.add(registry.card(c.name(), version));
            }
        }
        return new Composition(List.copyOf(composed), List.copyOf(cards));
    }

    boolean any() {
        return !composed.isEmpty();
    }

    /** As the report and the metrics name them: name@version xscale. */
    List<String> labels() {
        return composed.stream().map(EvaluationSpec.Composed::label).toList();
    }

    List<ControlNetSampler.Control> controls(long seed, List<Sample> held, int size, BaseModel base, NDManager manager, ObjectStore store) {
        List<ControlNetSampler.Control> controls = new ArrayList<>();
        for (int k = 0; k < composed.size(); k++) {
            EvaluationSpec.Composed c = composed.get(k);
            Map<String, Object> card = cards.get(k);
            ControlNet net = base.withHintEncoder(ModelRegistry.hintEncoder(card)).newControlNet(manager, seed);
            try {
                Weights.load(net, WeightObjects.get(store, ModelRegistry.dir(c.name(), c.version()) + ModelRegistry.WEIGHTS_FILE));
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
                conditions.add(OpenCv.toChw(Conditions.byName(condition).extract(bgr, new SplittableRandom(seed + i)).image(), 0f, 1f));
            }
            controls.add(new ControlNetSampler.Control(net, conditions, (float) c.scale()));
        }
        return controls;
    }
}
