package dev.cnf.workflows.spec;

import java.util.List;

/**
 * Where the images come from and which of them are kept: the ingest and clean stages' settings. Null means the default.
 *
 * @param sources        gallery pages, sitemaps, image URLs, URL lists (.txt, .csv, .tsv, .jsonl) over http(s), or
 *                       s3://bucket/prefix (images, name.txt captions beside them) or s3://bucket/list.csv;
 *                       empty → the worker's configured default source
 * @param maxImages      stop ingesting after this many images (default 64; with pairs, all of them)
 * @param maxDepth       link-following depth from each source page
 * @param followOtherHosts crawl links to other hosts too (default: same host:port as the page)
 * @param shardSize      image references per ingestion shard (one fetch and one clean activity each)
 * @param parallelShards shards in flight at once, across all workers
 * @param shardsPerRun   shards the dataset child workflow starts before it continues as new (bounds its history)
 * @param minSide        drop images whose shorter side is below this (TOO_SMALL)
 * @param maxAspectRatio drop images whose longer side exceeds this multiple of the shorter (BAD_ASPECT)
 * @param maxPixels      drop images whose header declares more pixels (TOO_MANY_PIXELS), before decoding
 * @param nearDuplicateDistance perceptual-hash Hamming distance (of 64 bits) counted as a near duplicate; -1 turns it off
 * @param onlyNewData    retraining: drop images the model's latest version was trained on (reason ALREADY_TRAINED)
 * @param imageFormat    how the clean stage stores the training images: {@code jpeg} (quality 95, 4:2:0, as web
 *                       datasets and img2dataset store them; a tenth of a PNG's encode time and a third of its size) or
 *                       {@code png} (lossless)
 * @param pairs          the user's own (image, condition, caption) pairs in the layout it names ({@link PairSpec}); the
 *                       sources then name that dataset, which may also be on the workers' disks. Near duplicates are then
 *                       kept unless {@code nearDuplicateDistance} is given (a curated set often holds one image under
 *                       several conditions); exact duplicates of a pair are dropped
 * @param aspectBuckets  keep wide and tall images in their aspect ratio instead of centre-cropping them square: each goes
 *                       to the nearest of {@link AspectBuckets}' sizes (about the resolution's pixel count), its condition
 *                       resized and cropped alike, and each training batch comes from one bucket; off by default
 * @param minBucketSide  with aspectBuckets, the smallest bucket side (0: half the resolution)
 * @param maxBucketSide  with aspectBuckets, the largest bucket side (0: twice the resolution)
 */
public record DataSpec(List<String> sources, Integer maxImages, Integer maxDepth, Boolean followOtherHosts, Integer shardSize,
                       Integer parallelShards, Integer shardsPerRun, Integer minSide, Double maxAspectRatio, Long maxPixels,
                       Integer nearDuplicateDistance, Boolean onlyNewData, String imageFormat, PairSpec pairs,
                       Boolean aspectBuckets, Integer minBucketSide, Integer maxBucketSide) {
    /** The stored training image formats, by the name the input uses. */
    public static final List<String> IMAGE_FORMATS = List.of("jpeg", "png");

    /** PIL's warning threshold (89.5 MP): larger pictures are rare outside decompression bombs. */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    /** JPEG quality of stored training images: high enough that re-encoding a web JPEG adds no visible loss. */
    public static final int JPEG_QUALITY = 95;

    public DataSpec {
        sources = sources == null ? List.of() : List.copyOf(sources);
        maxImages = maxImages == null ? (pairs == null ? 64 : 10_000_000) : maxImages; // an imported dataset is taken whole
        maxDepth = maxDepth == null ? 2 : maxDepth;
        followOtherHosts = followOtherHosts != null && followOtherHosts;
        shardSize = shardSize == null ? 256 : shardSize;
        parallelShards = parallelShards == null ? 4 : parallelShards;
        shardsPerRun = shardsPerRun == null ? 500 : shardsPerRun;
        minSide = minSide == null ? 32 : minSide;
        maxAspectRatio = maxAspectRatio == null ? 3.0 : maxAspectRatio;
        maxPixels = maxPixels == null ? DEFAULT_MAX_PIXELS : maxPixels;
        nearDuplicateDistance = nearDuplicateDistance == null ? (pairs == null ? 4 : -1) : nearDuplicateDistance;
        onlyNewData = onlyNewData != null && onlyNewData;
        imageFormat = imageFormat == null ? "jpeg" : imageFormat;
        aspectBuckets = aspectBuckets != null && aspectBuckets;
        minBucketSide = minBucketSide == null ? 0 : minBucketSide;
        maxBucketSide = maxBucketSide == null ? 0 : maxBucketSide;
    }

    public static DataSpec defaults() {
        return new DataSpec(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** Whether the run trains on the user's pairs (conditions given, none extracted). */
    public boolean paired() {
        return pairs != null;
    }

    public void addProblems(List<String> p) {
        if (pairs != null) {
            pairs.addProblems(p, sources);
        }
        for (String s : sources) {
            if (pairs != null && !PairSpec.isSource(s)) {
                p.add("sources: '" + s + "' is no http(s) URL, s3://bucket/prefix or absolute path on the workers");
            } else if (pairs == null && !(s.startsWith("http://") || s.startsWith("https://") || s.matches("s3://[a-z0-9][a-z0-9.-]{1,62}(/.*)?"))) {
                p.add("sources: '" + s + "' is neither an http(s) URL nor s3://bucket/prefix");
            }
        }
        Checks.range(p, "maxImages", maxImages, 1, 10_000_000);
        Checks.range(p, "maxDepth", maxDepth, 0, 10);
        Checks.range(p, "shardSize", shardSize, 1, 100_000);
        Checks.range(p, "parallelShards", parallelShards, 1, 1024);
        Checks.range(p, "shardsPerRun", shardsPerRun, 1, 100_000);
        Checks.range(p, "minSide", minSide, 1, 8192);
        if (!(maxAspectRatio >= 1 && maxAspectRatio <= 100)) {
            p.add("maxAspectRatio " + maxAspectRatio + ": must be in [1, 100]");
        }
        if (maxPixels < 64 || maxPixels > 1_000_000_000L) {
            p.add("maxPixels " + maxPixels + ": must be in [64, 1000000000]");
        }
        Checks.range(p, "nearDuplicateDistance", nearDuplicateDistance, -1, 32);
        Checks.oneOf(p, "imageFormat", imageFormat, IMAGE_FORMATS);
        Checks.range(p, "minBucketSide", minBucketSide, 0, 4096);
        Checks.range(p, "maxBucketSide", maxBucketSide, 0, 4096);
    }
}
