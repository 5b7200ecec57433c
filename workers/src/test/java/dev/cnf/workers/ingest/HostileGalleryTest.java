package dev.cnf.workers.ingest;

import dev.cnf.workflows.spec.ConditionSpec;
import dev.cnf.workflows.spec.DataSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.activities.registry.RunKeys;

import dev.cnf.activities.clean.CleanActivitiesImpl;
import dev.cnf.activities.dataset.Drop;
import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.imaging.ImageDecoder;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.ingest.AddressPolicy;
import dev.cnf.activities.ingest.FetchPolicy;
import dev.cnf.activities.ingest.HttpFetcher;
import dev.cnf.activities.ingest.IngestActivitiesImpl;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.IngestActivities;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestActivityEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Mat;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Ingestion and cleaning against a server that fails in every way the web does: each item ends with
 * its expected outcome (a reason code or kept), seen == kept + dropped, and nothing hangs.
 */
class HostileGalleryTest {
    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static ObjectStore store;
    static HostileGallery gallery;
    static TestActivityEnvironment env;
    static IngestActivities ingest;
    static CleanActivities clean;

    @BeforeAll
    static void start() throws Exception {
        OpenCv.load();
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        store = new ObjectStore(s3.config("hostile"));
        store.ensureBucket();
        int unusedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            unusedPort = s.getLocalPort();
        }
        gallery = new HostileGallery(unusedPort);
        FetchPolicy policy = FetchPolicy.defaults()
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(10))
                .withMaxBytes(2L << 20)
                .withRetries(2, Duration.ofMillis(100), Duration.ofSeconds(5));
        policy = new FetchPolicy(3, policy.maxBytes(), policy.connectTimeout(), policy.readTimeout(), policy.totalTimeout(),
                policy.maxRetries(), policy.backoff(), policy.maxRetryAfter(), 4, Duration.ZERO, true, FetchPolicy.DEFAULT_OPT_OUTS);
        HttpFetcher fetcher = new HttpFetcher(new AddressPolicy(Set.of(gallery.hostPort())), policy);
        env = TestActivityEnvironment.newInstance();
        env.registerActivitiesImplementations(new IngestActivitiesImpl(store, fetcher, List.of(), 8), new CleanActivitiesImpl(store));
        ActivityOptions options = ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(2))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build()).build();
        ingest = env.newActivityStub(IngestActivities.class, options);
        clean = env.newActivityStub(CleanActivities.class, options);
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
        gallery.close();
        s3.close();
    }

    /** Everything one run of the sharded path produces. */
    record Outcome(int seen, CleanActivities.Result result, List<Sample> kept, List<Drop> drops) {}

    /** The run these activities belong to: its prefix; seed 7 for the conditions' randomness. */
    static RunContext run(String prefix) {
        return new RunContext(prefix, "hostile", 7L);
    }

    static IngestActivities.DiscoverRequest discoverRequest(String prefix, List<String> sources, int maxImages, int maxDepth, int shardSize,
                                                            boolean followOtherHosts) {
        return new IngestActivities.DiscoverRequest(run(prefix), new DataSpec(sources, maxImages, maxDepth, followOtherHosts, shardSize, null,
                null, null, null, null, null, null, null, null, null, null, null), "canny");
    }

    /** The host lane of shard {@code shard}: lanes number their shards one after the other. */
    static int laneOf(IngestActivities.Discovery found, int shard) {
        int first = 0;
        for (int lane = 0; lane < found.shardsPerLane().size(); lane++) {
            first += found.shardsPerLane().get(lane);
            if (shard < first) {
                return lane;
            }
        }
        throw new IllegalArgumentException("no shard " + shard);
    }

    /** The defaults, with training images stored as PNG: the checks below ask for exact pixels (alpha over white). */
    static final DataSpec LOSSLESS = new DataSpec(null, null, null, null, null, null, null, null, null, null, null, null, "png", null, null, null, null);

    static Outcome run(String prefix, List<String> sources, int shardSize, int nearDistance) {
        IngestActivities.Discovery found = ingest.discover(discoverRequest(prefix, sources, 10_000, 1, shardSize, false));
        for (int i = 0; i < found.shardCount(); i++) {
            IngestActivities.ShardResult f = ingest.fetchShard(new IngestActivities.FetchShardRequest(run(prefix), i, laneOf(found, i)));
            clean.cleanShard(new CleanActivities.ShardRequest(run(prefix), i, f.itemsKey(), LOSSLESS, ModelSpec.defaults(),
                    ConditionSpec.defaults()));
        }
        // the shards' candidates and drops are read where their activities stored them, as the workflow has it
        DataSpec near = new DataSpec(null, null, null, null, null, null, null, null, null, null, nearDistance, null, null, null, null, null, null);
        CleanActivities.Result r = clean.dedupe(new CleanActivities.DedupeRequest(run(prefix), List.of(found.dropsKey()), found.refs(),
                found.shardCount(), near));
        return new Outcome(found.refs(), r, Json.readLines(store.get(r.samplesKey()), Sample.class), reportDrops(r.reportKey()));
    }

    static List<Drop> reportDrops(String key) {
        return reportDropsOf(store, key);
    }

    /** Every drop the cleaning report at {@code key} lists. */
    @SuppressWarnings("unchecked")
    static List<Drop> reportDropsOf(ObjectStore store, String key) {
        Map<String, Object> report = Json.read(store.get(key), Map.class);
        return Json.MAPPER.convertValue(report.get("drops"), Json.MAPPER.getTypeFactory().constructCollectionType(List.class, Drop.class));
    }

    static String path(String url) {
        return URI.create(url).getPath();
    }

    @Test
    @Timeout(120)
    void everyHostileItemEndsWithItsExpectedOutcome() {
        Outcome o = run("runs/hostile", List.of(gallery.origin() + "/index.html"), 5, 4);

        Map<String, String> actual = new TreeMap<>();
        o.kept().forEach(s -> actual.put(path(s.sourceUrl()), HostileGallery.KEPT));
        for (Drop d : o.drops()) {
            assertNull(actual.put(path(d.url()), d.reason().name()), "counted once: " + d.url());
        }
        assertEquals(new TreeMap<>(gallery.expected()), actual, "outcome per item; drop details: " + o.drops());
        assertEquals(o.seen(), o.kept().size() + o.drops().size(), "seen = kept + dropped");
        assertEquals(o.seen(), o.result().seen());

        // retries: a 500 and a 429 each cost one more request, and Retry-After: 1 was waited for
        assertEquals(2, gallery.requestTimes.get("/flaky/500-then-ok.jpg").size());
        List<Long> limited = gallery.requestTimes.get("/flaky/429-retry-after-1.jpg");
        assertEquals(2, limited.size());
        assertTrue(limited.get(1) - limited.get(0) >= 950_000_000L, "Retry-After honoured");
        assertEquals(1, gallery.requestTimes.get("/err/429-retry-after-an-hour.jpg").size(), "an hour is not waited for");
        assertNull(gallery.requestTimes.get("/private/secret.jpg"), "robots.txt-disallowed URLs are never requested");
        assertEquals(1, gallery.requestTimes.get("/robots.txt").size(), "robots.txt read once per host");

        // normalisation: every kept image became a 64x64 RGB8 PNG; orientation and alpha handled
        for (Sample s : o.kept()) {
            assertTrue(s.imageKey().endsWith(".png"), "imageFormat png honoured: " + s.imageKey());
            Mat m = OpenCv.decodeBgr(store.get(s.imageKey()));
            assertEquals(64, m.cols());
            assertEquals(3, m.channels());
            assertNotNull(s.phash());
            assertTrue(s.conditionKey().endsWith("/condition/canny/" + s.sha256() + ".png"), "the condition came from the decoded image");
            assertEquals(64, OpenCv.decodeBgr(store.get(s.conditionKey())).cols());
        }
        Sample rotated = keptAt(o, "/odd/exif-rotated.jpg");
        assertEquals(96, rotated.width(), "EXIF orientation 6 turns 160x96 into 96x160");
        assertEquals(160, rotated.height());
        Mat alpha = OpenCv.decodeBgr(store.get(keptAt(o, "/odd/alpha.png").imageKey()));
        double[] corner = alpha.get(0, 0);
        assertArrayEquals(new double[] {255, 255, 255}, corner, 1.0, "transparent pixels composited over white");
        assertEquals(96, keptAt(o, "/odd/animated.gif").width(), "first frame of the animation");
        for (int shape = 0; shape < 3; shape++) {
            Mat logo = OpenCv.decodeBgr(store.get(keptAt(o, "/odd/white-logo-" + shape + ".png").imageKey()));
            assertTrue(ImageDecoder.colourSpread(logo) > 40, "white artwork on transparency keeps its picture: spread "
                    + ImageDecoder.colourSpread(logo));
            assertArrayEquals(new double[] {0, 0, 0}, logo.get(0, 0), 1.0, "light artwork is drawn over black");
        }
        assertEquals(0, o.drops().stream().filter(d -> d.url().contains("/odd/white-logo-")).count(), "no logo is a duplicate of another");
        assertEquals(3, o.drops().stream().filter(d -> d.reason() == DropReason.FLAT_IMAGE).count(), "the flat images, and nothing else");

        String details = o.drops().toString();
        assertTrue(details.contains("SVG"), "the SVG drop says what it was: " + details);
        assertTrue(details.contains("60000x60000"), "the pixel-limit drop names the header's size");
    }

    @Test
    @Timeout(60)
    void aFinishedShardIsNotFetchedAgain() {
        String prefix = "runs/retry";
        IngestActivities.Discovery found = ingest.discover(discoverRequest(prefix,
                List.of(gallery.origin() + "/ok/baboon.jpg", gallery.origin() + "/ok/home.jpg"), 10, 0, 10, false));
        IngestActivities.ShardResult first = ingest.fetchShard(new IngestActivities.FetchShardRequest(run(prefix), 0, 0));
        int requests = gallery.requestTimes.get("/ok/baboon.jpg").size();
        IngestActivities.ShardResult again = ingest.fetchShard(new IngestActivities.FetchShardRequest(run(prefix), 0, 0));
        assertEquals(first, again);
        assertEquals(requests, gallery.requestTimes.get("/ok/baboon.jpg").size(), "the stored result answered the retry");
    }

    @Test
    @Timeout(60)
    void everySourceKindIsDiscovered() {
        String o = gallery.origin();
        gallery.put("/lists/urls.csv", "id,URL,caption\n1," + o + "/ok/baboon.jpg,\"a baboon, close up\"\n2,,no url here\n3,ftp://x/y.jpg,bad scheme\n");
        gallery.put("/lists/urls.tsv", "url\ttext\n" + o + "/ok/home.jpg\ta home\n");
        gallery.put("/lists/urls.jsonl", "{\"url\": \"" + o + "/ok/fruits.jpg\", \"caption\": \"fruit bowl\"}\nnot json\n");
        gallery.put("/lists/urls.txt", "# comment\n" + o + "/ok/orange.jpg\n\n");
        gallery.put("/sitemap.xml", "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                + "<sitemap><loc>" + o + "/sitemap-images.xml</loc></sitemap></sitemapindex>");
        gallery.put("/sitemap-images.xml", "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" "
                + "xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\"><url><loc>" + o + "/srcset.html</loc>"
                + "<image:image><image:loc>" + o + "/ok/messi5.jpg</image:loc><image:caption>a footballer</image:caption></image:image>"
                + "</url></urlset>");
        gallery.put("/srcset.html", "<html><body><img src=\"/odd/image.webp\" srcset=\"/odd/redirect-target.jpg 300w, /ok/building.jpg 900w\" alt=\"wide\">"
                + "<picture><source srcset=\"/odd/16-bit.png 2x, /odd/alpha.png 1x\"><img src=\"/odd/cmyk.jpg\" alt=\"pictured\"></picture>"
                + "<a href=\"/meta-optout/page.html\">more</a><a rel=\"nofollow\" href=\"/never.html\">x</a>"
                + "<a href=\"http://localhost:" + o.substring(o.lastIndexOf(':') + 1) + "/elsewhere.html\">another host</a></body></html>");
        gallery.put("/meta-optout/page.html", "<html><head><meta name=\"robots\" content=\"noai\"></head><body>"
                + "<img src=\"/odd/animated.gif\"></body></html>");
        List<String> sources = List.of(o + "/lists/urls.csv", o + "/lists/urls.tsv", o + "/lists/urls.jsonl", o + "/lists/urls.txt",
                o + "/sitemap.xml", o + "/srcset.html", "s3://imports/photos/");
        store.ensureBucketNamed("imports");
        store.putIn("imports", "photos/squirrel.jpg", HostileGallery.photo("squirrel_cls"));
        store.putIn("imports", "photos/squirrel.txt", "a squirrel on a branch\n".getBytes());

        IngestActivities.Discovery found = ingest.discover(discoverRequest("runs/sources", sources, 100, 1, 100, false));
        assertEquals(List.of(1, 1), found.shardsPerLane(), "the gallery's host in one lane, the S3 objects in another");
        List<IngestActivitiesImpl.Ref> refs = new java.util.ArrayList<>();
        for (int shard = 0; shard < found.shardCount(); shard++) {
            refs.addAll(Json.readLines(store.get(RunKeys.ingestRefs("runs/sources", shard)), IngestActivitiesImpl.Ref.class));
        }
        Map<String, String> captions = new TreeMap<>();
        refs.forEach(r -> captions.put(r.url().startsWith("s3://") ? r.url() : path(r.url()), r.alt()));
        Map<String, String> expected = new TreeMap<>(Map.of(
                "/ok/baboon.jpg", "a baboon, close up",
                "/ok/home.jpg", "a home",
                "/ok/fruits.jpg", "fruit bowl",
                "/ok/orange.jpg", "",
                "/ok/messi5.jpg", "a footballer",
                "/ok/building.jpg", "wide",
                "/odd/16-bit.png", "pictured",
                "s3://imports/photos/squirrel.jpg", "a squirrel on a branch"));
        assertEquals(expected, captions, "widest srcset candidate, captions from every kind of source");
        assertEquals(Map.of("INVALID_URL", 3, "OPTED_OUT", 1), found.dropped(), "two bad CSV rows, one bad JSON line; the noai page's image");
        assertEquals(refs.size() + 4, found.refs());
        assertNull(gallery.requestTimes.get("/never.html"), "rel=nofollow links are not followed");
        assertEquals(Map.of(), found.pageFailures(), "links to another host are not followed by default");

        IngestActivities.Discovery wide = ingest.discover(discoverRequest("runs/wide", List.of(o + "/srcset.html"),
                100, 1, 100, true));
        assertEquals(Map.of("BLOCKED_ADDRESS", 1), wide.pageFailures(), "followOtherHosts tries localhost, which is not allow-listed");
    }

    static Sample keptAt(Outcome o, String path) {
        return o.kept().stream().filter(s -> path(s.sourceUrl()).equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError(path + " not kept"));
    }
}
