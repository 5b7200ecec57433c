package dev.cnf.workflows.stages;

import dev.cnf.workflows.spec.DataSpec;
import dev.cnf.workflows.spec.RunContext;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;
import java.util.Map;

/**
 * Finds image references at the sources (gallery pages, sitemaps, URL lists, S3 prefixes), or the pairs of a paired
 * dataset, and fetches them shard by shard; originals go to object storage, content-addressed.
 */
@ActivityInterface
public interface IngestActivities {
    /**
     * @param data      the sources, how deep and how wide to crawl them, and the shard size; or the user's pairs
     * @param condition the run's condition name (a webdataset's default condition member is {@code <condition>.png})
     */
    record DiscoverRequest(RunContext run, DataSpec data, String condition) {}

    /**
     * @param refs         image references found, including those dropped at discovery; refs == sum(shard seen) + sum(dropped)
     * @param dropped      references dropped before fetching (INVALID_URL, OPTED_OUT pages...), by reason
     * @param pageFailures pages, sitemaps and lists (not images) that could not be read, by reason
     * @param dropsKey     JSON lines: every reference dropped at discovery
     * @param pageFailuresKey JSON lines: every page, sitemap or list that could not be read, and why
     * @param shardCount   how many shards of references were written; each is found from the run prefix and its number,
     *                     so no list that grows with the crawl passes through workflow histories
     * @param shardsPerLane the shards of each host lane, lane by lane (lane 0's shards are numbered first); a web host is
     *                      in one lane only, and a lane's shards are fetched one at a time, so per-host politeness holds
     *                      for the whole run (at most {@code parallelShards} lanes: a bounded list)
     */
    record Discovery(int refs, Map<String, Integer> dropped, Map<String, Integer> pageFailures, String dropsKey,
                     String pageFailuresKey, int shardCount, List<Integer> shardsPerLane) {}

    /** Shard {@code shard} of the references discovery wrote under the run prefix; it belongs to host lane {@code lane}. */
    record FetchShardRequest(RunContext run, int shard, int lane) {}

    /** seen == fetched + sum(dropped); {@code bytes} downloaded for the fetched items. */
    record ShardResult(int shard, int seen, int fetched, long bytes, Map<String, Integer> dropped, String itemsKey, String dropsKey) {}

    /** Expands the sources into shards of image references; pages are crawled here, images are not fetched. */
    @ActivityMethod
    Discovery discover(DiscoverRequest request);

    /** Fetches one shard's references. A finished shard's result is stored, so a retry returns it without refetching. */
    @ActivityMethod
    ShardResult fetchShard(FetchShardRequest request);
}
