package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;
import java.util.Map;

/** Fetches images from gallery pages and URLs; originals go to object storage, content-addressed. */
@ActivityInterface
public interface IngestActivities {
    record Request(String runPrefix, List<String> sources, int maxImages, int maxDepth) {}

    /**
     * @param seen        image references found; seen == fetched + sum(dropped)
     * @param pageFailures pages (not images) that could not be fetched, by reason
     * @param itemsKey    JSON-lines table of fetched items (one per image); dropsKey lists every drop
     */
    record Result(int seen, int fetched, Map<String, Integer> dropped, Map<String, Integer> pageFailures,
                  String itemsKey, String dropsKey) {}

    @ActivityMethod
    Result ingest(Request request);
}
