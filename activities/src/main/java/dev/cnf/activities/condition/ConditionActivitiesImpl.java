package dev.cnf.activities.condition;

import dev.cnf.activities.conditions.ConditionRunner;

import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.dataset.WebDataset;
import dev.cnf.activities.imaging.ImageHeader;
import dev.cnf.activities.registry.RunKeys;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workflows.stages.ConditionActivities;
import io.temporal.activity.Activity;

import java.util.ArrayList;
import java.util.List;

/** The condition of every sample and the finished dataset; randomness per sample comes from (seed, sample hash). */
public class ConditionActivitiesImpl implements ConditionActivities {
    private final ObjectStore store;

    public ConditionActivitiesImpl(ObjectStore store) {
        OpenCv.load();
        this.store = store;
    }

    /**
     * Samples whose clean shard already extracted this condition (the image was decoded there) keep it;
     * the others are extracted here. Then the dataset is written as WebDataset shards.
     */
    @Override
    public Result condition(Request r) {
        List<Sample> in = SampleTables.read(store, r.samplesKey());
        List<Sample> out = new ArrayList<>();
        ConditionRunner runner = null;
        String name = r.conditioning().condition();
        int fromShards = 0;
        try {
            for (Sample s : in) {
                Activity.getExecutionContext().heartbeat(out.size());
                if (ConditionRunner.key(r.run().prefix(), name, s.sha256()).equals(s.conditionKey())) {
                    out.add(s);
                    fromShards++;
                    continue;
                }
                if (runner == null) {
                    runner = ConditionRunner.open(name, r.conditioning().annotatorModel(), store);
                }
                out.add(runner.apply(s, OpenCv.decodeBgr(store.get(s.imageKey())), r.run().prefix(), r.run().seed()));
            }
        } finally {
            if (runner != null) {
                runner.close();
            }
        }
        String key = RunKeys.conditionTable(r.run().prefix());
        SampleTables.write(store, key, out);
        int[] packed = {0};
        String manifestKey = WebDataset.write(store, RunKeys.dataset(r.run().prefix()), name, out, store::get, ImageHeader::size,
                () -> Activity.getExecutionContext().heartbeat(out.size() + packed[0]++));
        return new Result(out.size(), key, manifestKey, fromShards);
    }
}
