package dev.cnf.activities.condition;

import dev.cnf.activities.storage.Locations;
import dev.cnf.activities.condition.annotator.TorchScriptAnnotator;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.dataset.WebDataset;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workflows.stages.ConditionActivities;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Runs the chosen condition over every cleaned image; randomness per sample comes from (seed, sample hash). */
public class ConditionActivitiesImpl implements ConditionActivities {
    private final ObjectStore store;

    public ConditionActivitiesImpl(ObjectStore store) {
        OpenCv.load();
        this.store = store;
    }

    @Override
    public Result condition(Request r) {
        TorchScriptAnnotator.Kind kind = Conditions.annotatorKind(r.condition());
        TorchScriptAnnotator annotator = null;
        Condition condition;
        try {
            if (kind != null) {
                annotator = TorchScriptAnnotator.load(Locations.localFile(r.annotatorModel(), store), kind);
                condition = Conditions.withAnnotator(r.condition(), annotator);
            } else {
                condition = Conditions.byName(r.condition());
            }
        } catch (IllegalArgumentException e) {
            throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), "InvalidInput");
        }
        try {
            return run(r, condition);
        } finally {
            if (annotator != null) {
                annotator.close();
            }
        }
    }

    private Result run(Request r, Condition condition) {
        List<Sample> out = new ArrayList<>();
        int done = 0;
        for (Sample s : SampleTables.read(store, r.samplesKey())) {
            Activity.getExecutionContext().heartbeat(done++);
            SplittableRandom random = new SplittableRandom(r.seed() ^ Long.parseUnsignedLong(s.sha256().substring(0, 15), 16));
            Condition.Extracted ex = condition.extract(OpenCv.decodeBgr(store.get(s.imageKey())), random);
            String key = r.runPrefix() + "/condition/" + condition.name() + "/" + s.sha256() + ".png";
            store.put(key, OpenCv.encodePng(ex.image()), "image/png");
            out.add(s.withCondition(key, ex.params()));
        }
        String key = r.runPrefix() + "/condition/samples.jsonl";
        SampleTables.write(store, key, out);
        int[] packed = {0};
        String manifestKey = WebDataset.write(store, r.runPrefix() + "/dataset", condition.name(), out,
                store::get,
                () -> Activity.getExecutionContext().heartbeat(out.size() + packed[0]++));
        return new Result(out.size(), key, manifestKey);
    }
}
