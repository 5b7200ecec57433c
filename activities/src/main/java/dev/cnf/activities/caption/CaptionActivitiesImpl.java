package dev.cnf.activities.caption;

import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.dataset.SampleTables;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workflows.stages.CaptionActivities;
import org.jsoup.Jsoup;

import java.util.ArrayList;
import java.util.List;

/** Captions from the page's alt text (cleaned of markup and whitespace), else the default prompt; or none at all (""). */
public class CaptionActivitiesImpl implements CaptionActivities {
    private final ObjectStore store;

    public CaptionActivitiesImpl(ObjectStore store) {
        this.store = store;
    }

    /** Alt text as plain text: entities decoded, tags removed, whitespace collapsed. */
    public static String cleanAltText(String alt) {
        return alt == null ? "" : Jsoup.parse(alt).text().replaceAll("\\s+", " ").strip();
    }

    @Override
    public Result caption(Request r) {
        List<Sample> out = new ArrayList<>();
        int fromAlt = 0;
        for (Sample s : SampleTables.read(store, r.samplesKey())) {
            String alt = cleanAltText(s.altText());
            if ("none".equals(r.captioner())) {
                out.add(s.withCaption("", "none")); // the paper's "no prompt" training mode
            } else if ("alt".equals(r.captioner()) && !alt.isEmpty()) {
                out.add(s.withCaption(alt, "alt"));
                fromAlt++;
            } else {
                out.add(s.withCaption(r.defaultPrompt(), "template"));
            }
        }
        String key = r.runPrefix() + "/caption/samples.jsonl";
        SampleTables.write(store, key, out);
        return new Result(out.size(), fromAlt, key);
    }
}
