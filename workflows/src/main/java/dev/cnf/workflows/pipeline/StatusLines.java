package dev.cnf.workflows.pipeline;

import dev.cnf.workflows.stages.CaptionActivities;
import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.ConditionActivities;
import dev.cnf.workflows.stages.EvaluateActivities;
import dev.cnf.workflows.stages.IngestActivities;
import dev.cnf.workflows.stages.PublishActivities;
import dev.cnf.workflows.stages.TrainActivities;

import java.util.Map;
import java.util.TreeMap;

/** The status query's finished-work lines, one per stage result, e.g. "clean: kept 40 of 46 (dropped: DUPLICATE=2)". */
final class StatusLines {
    private StatusLines() {}

    static String ingest(PipelineStatus.DatasetProgress d, IngestActivities.Discovery found) {
        return "ingest: " + d.shards() + " shards, fetched " + d.fetched() + " of " + d.refs() + " (" + d.bytes() + " bytes)"
                + reasons(found.dropped());
    }

    static String clean(CleanActivities.Result cl) {
        return "clean: kept " + cl.kept() + " of " + cl.seen() + reasons(cl.dropped());
    }

    static String caption(CaptionActivities.Result cap) {
        return "caption: " + cap.captioned() + " captions " + cap.bySource()
                + (cap.truncated() > 0 ? ", " + cap.truncated() + " truncated to the text encoder" : "");
    }

    static String condition(ConditionActivities.Result cond, String condition) {
        return "condition: " + cond.conditioned() + " " + condition + " maps (" + cond.fromShards()
                + " made in the clean shards), dataset shards written";
    }

    static String given(PreparedDataset d) {
        return "dataset: " + d.conditioned() + " " + d.condition() + " samples prepared by " + d.preparedBy() + " (kept " + d.cleaned().kept()
                + " of " + d.cleaned().seen() + "); ingest to condition skipped";
    }

    static String train(TrainActivities.Result tr) {
        return String.format("train: %d steps (%d skipped as non-finite), final loss %.4f, %d checkpoints, %s", tr.steps(),
                tr.skippedSteps(), tr.finalLoss(), tr.checkpointKeys().size(),
                tr.convergedStep() == null ? "no sudden convergence detected" : "converged at step " + tr.convergedStep());
    }

    static String evaluate(EvaluateActivities.Result ev) {
        return String.format("evaluate: %d samples, edge F1 %.3f (no control %.3f)", ev.samples(), ev.edgeF1(), ev.edgeF1NoControl());
    }

    static String evaluatedAt(int step, EvaluateActivities.Result ev) {
        return String.format("evaluate at step %d: edge F1 %.3f (no control %.3f)", step, ev.edgeF1(), ev.edgeF1NoControl());
    }

    static String publish(PublishActivities.Result pub) {
        return "publish: " + pub.modelUri() + (pub.promoted() ? " (latest)" : " (candidate: " + pub.decision() + ")");
    }

    /** " (dropped: A=1 B=2)" in reason order, or "" when nothing was dropped. */
    static String reasons(Map<String, Integer> dropped) {
        if (dropped.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (dropped:");
        new TreeMap<>(dropped).forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.append(')').toString();
    }
}
