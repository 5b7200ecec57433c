package dev.cnf.workflows.stages;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

import java.util.List;
import java.util.Map;

/**
 * Finds image references at the sources (gallery pages, sitemaps, URL lists, S3 prefixes) and fetches
 * them shard by shard; originals go to object storage, content-addressed.
 */
@ActivityInterface
public interface IngestActivities {
    /**
     * @param sources   http(s) gallery pages, sitemaps, image URLs, URL lists (.txt, .csv, .tsv, .jsonl) or s3://bucket/prefix
     * @param shardSize image references per shard
     * @param followOtherHosts follow links to other hosts too (images are taken from any host either way)
     */
    record DiscoverRequest(String runPrefix, List<String> sources, int maxImages, int maxDepth, int shardSize, boolean followOtherHosts) {}

    /**
     * @param refs         image references found, including those dropped at discovery; refs == sum(shard seen) + sum(dropped)
     * @param shardKeys    JSON-lines tables of references, one per shard, in order; empty when {@code shards} is set: the
     *                     tables are then found from the run prefix and the shard number, and no list that grows with
     *                     the crawl passes through workflow histories
     * @param dropped      references dropped before fetching (INVALID_URL, OPTED_OUT pages...), by reason
     * @param pageFailures pages, sitemaps and lists (not images) that could not be read, by reason
     * @param dropsKey     JSON lines: every reference dropped at discovery
     * @param pageFailuresKey JSON lines: every page, sitemap or list that could not be read, and why
     * @param shards       how many shards were written (null in runs recorded before: count {@code shardKeys})
     */
    record Discovery(int refs, List<String> shardKeys, Map<String, Integer> dropped, Map<String, Integer> pageFailures, String dropsKey,
                     String pageFailuresKey, Integer shards) {
        public int shardCount() {
            return shards != null ? shards : shardKeys.size();
        }

        /** Shard {@code i}'s reference table, or null: the activity finds it from the run prefix. */
        public String shardKey(int i) {
            return shardKeys == null || shardKeys.isEmpty() ? null : shardKeys.get(i);
        }
    }

    /** @param refsKey the shard's reference table; null: the one discovery wrote for this shard under the run prefix */
    record FetchShardRequest(String runPrefix, int shard, String refsKey) {}

    /** seen == fetched + sum(dropped); {@code bytes} downloaded for the fetched items. */
    record ShardResult(int shard, int seen, int fetched, long bytes, Map<String, Integer> dropped, String itemsKey, String dropsKey) {}

    /** Expands the sources into shards of image references; pages are crawled here, images are not fetched. */
    @ActivityMethod
    Discovery discover(DiscoverRequest request);

    /** Fetches one shard's references. A finished shard's result is stored, so a retry returns it without refetching. */
    @ActivityMethod
    ShardResult fetchShard(FetchShardRequest request);

    // --- the single-activity ingestion that runs started before sharding (workflow version DEFAULT) replay against ---

    record Request(String runPrefix, List<String> sources, int maxImages, int maxDepth) {}

    /**
     * @param seen        image references found; seen == fetched + sum(dropped)
     * @param pageFailures pages (not images) that could not be fetched, by reason
     * @param itemsKey    JSON-lines table of fetched items (one per image); dropsKey lists every drop
     */
    record Result(int seen, int fetched, Map<String, Integer> dropped, Map<String, Integer> pageFailures,
                  String itemsKey, String dropsKey) {}

    /** Discover and fetch everything in one activity; kept for workflows started before sharded ingestion. */
    @ActivityMethod
    Result ingest(Request request);
}
