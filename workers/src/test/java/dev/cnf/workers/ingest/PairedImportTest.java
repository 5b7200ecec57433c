package dev.cnf.workers.ingest;

import com.sun.net.httpserver.HttpServer;
import dev.cnf.activities.caption.CaptionActivitiesImpl;
import dev.cnf.activities.clean.CleanActivitiesImpl;
import dev.cnf.activities.condition.ConditionActivitiesImpl;
import dev.cnf.activities.dataset.Drop;
import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.imaging.OpenCv;
import dev.cnf.activities.ingest.AddressPolicy;
import dev.cnf.activities.ingest.FetchPolicy;
import dev.cnf.activities.ingest.HttpFetcher;
import dev.cnf.activities.ingest.IngestActivitiesImpl;
import dev.cnf.activities.models.OpenAiConfig;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workers.embedded.EmbeddedS3;
import dev.cnf.workflows.spec.CaptionSpec;
import dev.cnf.workflows.spec.ConditionSpec;
import dev.cnf.workflows.spec.DataSpec;
import dev.cnf.workflows.spec.ModelSpec;
import dev.cnf.workflows.spec.PairSpec;
import dev.cnf.workflows.spec.RunContext;
import dev.cnf.workflows.stages.CaptionActivities;
import dev.cnf.workflows.stages.CleanActivities;
import dev.cnf.workflows.stages.ConditionActivities;
import dev.cnf.workflows.stages.IngestActivities;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestActivityEnvironment;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Point;
import org.opencv.core.Rect;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The user's own pairs in each layout ControlNet trainers read, made here Fill50K-style (a filled circle; its outline as
 * the condition), imported from worker paths, S3 and http, through fetch, clean and caption as the pipeline runs them.
 * The images are 80x64 with 8-pixel marker bands left and right, so the centre crop to 64x64 must cut the bands off image
 * and condition alike: what is stored is compared with the centre of what was given, pixel for pixel. Broken pairs end
 * with their reason codes and seen == kept + dropped.
 */
class PairedImportTest {
    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static ObjectStore store;
    static HttpServer web;
    static TestActivityEnvironment env;
    static IngestActivities ingest;
    static CleanActivities clean;
    static CaptionActivities caption;
    static ConditionActivities condition;

    static final int PAIRS = 6;
    static final String BUCKET = "userdata";

    @BeforeAll
    static void start() throws Exception {
        OpenCv.load();
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        store = new ObjectStore(s3.config("paired"));
        store.ensureBucket();
        store.ensureBucketNamed(BUCKET);
        web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        web.createContext("/", exchange -> {
            Path file = dir.resolve("web").resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            byte[] body = file.startsWith(dir.resolve("web")) && Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                if (body != null) {
                    out.write(body);
                }
            }
        });
        web.start();
        String hostPort = "127.0.0.1:" + web.getAddress().getPort();
        HttpFetcher fetcher = new HttpFetcher(new AddressPolicy(Set.of(hostPort)), FetchPolicy.defaults());
        env = TestActivityEnvironment.newInstance();
        env.registerActivitiesImplementations(new IngestActivitiesImpl(store, fetcher, List.of(), 4), new CleanActivitiesImpl(store),
                new CaptionActivitiesImpl(store, new OpenAiConfig(null, null, null, null)), new ConditionActivitiesImpl(store));
        ActivityOptions options = ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(2))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build()).build();
        ingest = env.newActivityStub(IngestActivities.class, options);
        clean = env.newActivityStub(CleanActivities.class, options);
        caption = env.newActivityStub(CaptionActivities.class, options);
        condition = env.newActivityStub(ConditionActivities.class, options);
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
        web.stop(0);
        s3.close();
    }

    // ---- the pairs: pixels the assertions can check without the code under test ----

    static Scalar background(int i) {
        return new Scalar(40 + 30 * i, 200 - 20 * i, 90 + 10 * i);
    }

    /** 80x64: a filled circle on a coloured background, red bands in the 8 columns at each side. */
    static Mat image(int i) {
        Mat m = new Mat(64, 80, CvType.CV_8UC3, background(i));
        Imgproc.circle(m, new Point(40, 32), 10 + 2 * i, new Scalar(250 - 25 * i, 60 + 25 * i, 120), -1);
        bands(m, new Scalar(0, 0, 255));
        return m;
    }

    /** The circle's outline, grey, white bands at the sides. */
    static Mat condition(int i) {
        Mat m = new Mat(64, 80, CvType.CV_8UC1, new Scalar(0));
        Imgproc.circle(m, new Point(40, 32), 10 + 2 * i, new Scalar(255), 1);
        bands(m, new Scalar(255));
        return m;
    }

    static void bands(Mat m, Scalar colour) {
        m.submat(new Rect(0, 0, 8, 64)).setTo(colour);
        m.submat(new Rect(72, 0, 8, 64)).setTo(colour);
    }

    static String prompt(int i) {
        return "circle " + i + ", with a comma, on colour " + (int) background(i).val[0];
    }

    static byte[] png(Mat m) {
        return OpenCv.encodePng(m);
    }

    static Mat centre(Mat m) {
        return m.submat(new Rect(8, 0, 64, 64));
    }

    static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    /** A condition of another size, and a translucent one. */
    static byte[] wrongSize() {
        return png(new Mat(60, 80, CvType.CV_8UC1, new Scalar(0)));
    }

    static byte[] translucent() {
        Mat m = new Mat(64, 80, CvType.CV_8UC4, new Scalar(255, 255, 255, 128)); // translucent RGBA
        return png(m);
    }

    // ---- the stages, as the shard workflow runs them ----

    record Outcome(int seen, List<Sample> kept, List<Drop> drops, Map<String, Integer> captionSources, String samplesKey) {
        Map<String, Integer> dropped() {
            Map<String, Integer> m = new TreeMap<>();
            drops.forEach(d -> m.merge(d.reason().name(), 1, Integer::sum));
            return m;
        }
    }

    static Outcome run(String prefix, String condition, PairSpec pairs, String... sources) {
        RunContext run = new RunContext(prefix, "paired", 7L);
        DataSpec data = new DataSpec(List.of(sources), null, null, null, 4, null, null, null, null, null, null, null, "png", pairs, null, null, null);
        assertEquals(List.of(), problems(data, condition), "valid input");
        ModelSpec model = ModelSpec.defaults();
        ConditionSpec conditioning = new ConditionSpec(condition, null);
        IngestActivities.Discovery found = ingest.discover(new IngestActivities.DiscoverRequest(run, data, condition));
        int shard = 0;
        for (int lane = 0; lane < found.shardsPerLane().size(); lane++) {
            for (int k = 0; k < found.shardsPerLane().get(lane); k++, shard++) {
                IngestActivities.ShardResult f = ingest.fetchShard(new IngestActivities.FetchShardRequest(run, shard, lane));
                clean.cleanShard(new CleanActivities.ShardRequest(run, shard, f.itemsKey(), data, model, conditioning));
            }
        }
        CleanActivities.Result cleaned = clean.dedupe(new CleanActivities.DedupeRequest(run, List.of(found.dropsKey()), found.refs(),
                found.shardCount(), data));
        CaptionActivities.Result captioned = caption.caption(new CaptionActivities.Request(run, cleaned.samplesKey(), CaptionSpec.defaults(), model));
        List<Sample> kept = Json.readLines(store.get(captioned.samplesKey()), Sample.class);
        assertEquals(List.of(), Json.readLines(store.get(found.pageFailuresKey()), Drop.class), "every source was readable");
        List<Drop> drops = HostileGalleryTest.reportDropsOf(store, cleaned.reportKey());
        assertEquals(found.refs(), kept.size() + drops.size(), "seen = kept + dropped: " + drops);
        return new Outcome(found.refs(), kept, drops, captioned.bySource(), captioned.samplesKey());
    }

    static List<String> problems(DataSpec data, String condition) {
        List<String> p = new ArrayList<>();
        data.addProblems(p);
        new ConditionSpec(condition, null).addProblems(p, data.paired());
        return p;
    }

    /** Every kept pair: image and condition are the centre of what was given (bands cut off alike), captions as given. */
    static void assertPairs(Outcome o, String condition, boolean captionsGiven) {
        assertEquals(PAIRS, o.kept().size(), "kept: " + o.kept().stream().map(Sample::sourceUrl).toList() + ", dropped " + o.drops());
        for (Sample s : o.kept()) {
            int i = indexOf(s);
            Mat stored = Imgcodecs.imdecode(new org.opencv.core.MatOfByte(store.get(s.imageKey())), Imgcodecs.IMREAD_COLOR);
            assertEquals(0, differing(stored, centre(image(i))), "image " + i + " is the centre of the given image");
            assertTrue(s.conditionKey().endsWith("/condition/" + condition + "/" + s.sha256() + ".png"), s.conditionKey());
            Mat map = Imgcodecs.imdecode(new org.opencv.core.MatOfByte(store.get(s.conditionKey())), Imgcodecs.IMREAD_UNCHANGED);
            assertEquals(1, map.channels(), "a grey condition is stored as one channel");
            assertEquals(0, differing(map, centre(condition(i))), "condition " + i + " is cropped exactly as its image");
            assertEquals(Boolean.TRUE, s.conditionParams().get("given"));
            if (captionsGiven) {
                assertEquals(prompt(i), s.caption(), "the given caption, as it was");
                assertEquals("given", s.captionSource());
            }
        }
        if (captionsGiven) {
            assertEquals(Map.of("given", PAIRS), o.captionSources(), "the captioner ran for none of them");
        }
    }

    static int differing(Mat a, Mat b) {
        assertEquals(b.size(), a.size());
        Mat diff = new Mat();
        Core.absdiff(a, b, diff);
        Mat flat = diff.reshape(1);
        return Core.countNonZero(flat);
    }

    /** The pair's number, from the file or key it came from (…/3.png, …#003, …#row 3). */
    static int indexOf(Sample s) {
        String url = s.sourceUrl();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(\\.png)?$").matcher(url);
        assertTrue(m.find(), url);
        return Integer.parseInt(m.group(1)) % 100;
    }

    // ---- the layouts ----

    /** lllyasviel's layout on S3: prompt.json with source/ and target/, and the broken rows a real one has. */
    @Test
    @Timeout(120)
    void promptJsonFromS3() {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < PAIRS; i++) {
            store.putIn(BUCKET, "fill/source/" + i + ".png", png(condition(i)));
            store.putIn(BUCKET, "fill/target/" + i + ".png", png(image(i)));
            lines.append(Json.MAPPER.createObjectNode().put("source", "source/" + i + ".png").put("target", "target/" + i + ".png")
                    .put("prompt", prompt(i))).append('\n');
        }
        store.putIn(BUCKET, "fill/source/10.png", wrongSize());
        store.putIn(BUCKET, "fill/target/10.png", png(image(0)));
        store.putIn(BUCKET, "fill/source/11.png", translucent());
        store.putIn(BUCKET, "fill/target/11.png", png(image(1)));
        store.putIn(BUCKET, "fill/target/12.png", "not an image".getBytes(StandardCharsets.UTF_8));
        store.putIn(BUCKET, "fill/source/12.png", png(condition(2)));
        lines.append("{\"source\": \"source/10.png\", \"target\": \"target/10.png\", \"prompt\": \"wrong size\"}\n")
                .append("{\"source\": \"source/11.png\", \"target\": \"target/11.png\", \"prompt\": \"translucent\"}\n")
                .append("{\"source\": \"source/12.png\", \"target\": \"target/12.png\", \"prompt\": \"text\"}\n")
                .append("{\"source\": \"source/13.png\", \"target\": \"target/0.png\", \"prompt\": \"condition not there\"}\n")
                .append("{\"target\": \"target/1.png\", \"prompt\": \"no source\"}\n")
                .append("{\"source\": \"../secret.png\", \"target\": \"target/2.png\"}\n")
                .append("{not json\n");
        store.putIn(BUCKET, "fill/prompt.json", lines.toString().getBytes(StandardCharsets.UTF_8));

        Outcome o = run("runs/prompt-json", "canny", new PairSpec("prompt-json", null, null, null, null), "s3://" + BUCKET + "/fill/prompt.json");
        assertPairs(o, "canny", true);
        assertEquals(Map.of("CONDITION_SIZE_MISMATCH", 1, "CONDITION_CHANNELS", 1, "NOT_AN_IMAGE", 1, "MISSING_PARTNER", 2,
                "BAD_METADATA", 2), o.dropped(), "drops: " + o.drops());
        String details = o.drops().toString();
        assertTrue(details.contains("80x60") && details.contains("80x64"), "the size drop names both sizes: " + details);
        assertTrue(details.contains("no 'source'"), "the missing partner is named: " + details);
    }

    /** The same layout over http (loopback, allow-listed): paths resolve against the prompt.json's URL. */
    @Test
    @Timeout(120)
    void promptJsonOverHttp() throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < PAIRS; i++) {
            write(dir.resolve("web/fill/source/" + i + ".png"), png(condition(i)));
            write(dir.resolve("web/fill/target/" + i + ".png"), png(image(i)));
            lines.append("{\"source\": \"source/" + i + ".png\", \"target\": \"target/" + i + ".png\", \"prompt\": "
                    + Json.MAPPER.writeValueAsString(prompt(i)) + "}\n");
        }
        lines.append("{\"source\": \"source/77.png\", \"target\": \"target/0.png\", \"prompt\": \"404\"}\n");
        write(dir.resolve("web/fill/prompt.json"), lines.toString().getBytes(StandardCharsets.UTF_8));
        Outcome o = run("runs/prompt-http", "canny", new PairSpec("prompt-json", null, null, null, null),
                "http://127.0.0.1:" + web.getAddress().getPort() + "/fill/prompt.json");
        assertPairs(o, "canny", true);
        assertEquals(Map.of("MISSING_PARTNER", 1), o.dropped(), "a condition the server does not have is a missing partner");
    }

    /** A Hugging Face imagefolder on the worker's disk: metadata.jsonl, then metadata.csv (with a byte-order mark) with quoted, comma'd captions. */
    @Test
    @Timeout(120)
    void imageFolderJsonlAndCsv() throws IOException {
        Path root = dir.resolve("imagefolder");
        StringBuilder jsonl = new StringBuilder();
        StringBuilder csv = new StringBuilder("\uFEFFfile_name,conditioning_image_file_name,text\n"); // as Excel saves it
        for (int i = 0; i < PAIRS; i++) {
            write(root.resolve("images/" + i + ".png"), png(image(i)));
            write(root.resolve("conditioning/" + i + ".png"), png(condition(i)));
            jsonl.append("{\"file_name\": \"images/" + i + ".png\", \"conditioning_image_file_name\": \"conditioning/" + i + ".png\", \"text\": "
                    + Json.MAPPER.writeValueAsString(prompt(i)) + "}\n");
            csv.append("images/").append(i).append(".png,conditioning/").append(i).append(".png,\"").append(prompt(i)).append("\"\n");
        }
        jsonl.append("{\"file_name\": \"images/0.png\", \"text\": \"no condition column\"}\n");
        csv.append("images/1.png,conditioning/1.png\n"); // a field short
        write(root.resolve("metadata.jsonl"), jsonl.toString().getBytes(StandardCharsets.UTF_8));
        write(root.resolve("metadata.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));

        Outcome json = run("runs/imagefolder-jsonl", "scribble", new PairSpec("imagefolder", null, null, null, null),
                root.resolve("metadata.jsonl").toString());
        assertPairs(json, "scribble", true);
        assertEquals(Map.of("MISSING_PARTNER", 1), json.dropped());
        Outcome table = run("runs/imagefolder-csv", "scribble", new PairSpec("imagefolder", null, null, null, null),
                "file:" + root.resolve("metadata.csv"));
        assertPairs(table, "scribble", true);
        assertEquals(Map.of("BAD_METADATA", 1), table.dropped());
    }

    /** Parquet as datasets writes an Image feature (struct of bytes and path), renamed columns, from S3. */
    @Test
    @Timeout(120)
    void parquetWithImageStructs() throws Exception {
        Path file = dir.resolve("pairs.parquet");
        try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
            st.execute("CREATE TABLE t (photo STRUCT(bytes BLOB, path VARCHAR), hint STRUCT(bytes BLOB, path VARCHAR), caption VARCHAR)");
            try (PreparedStatement insert = db.prepareStatement(
                    "INSERT INTO t SELECT {'bytes': ?::BLOB, 'path': ?}, {'bytes': ?::BLOB, 'path': ?}, ?")) {
                for (int i = 0; i <= PAIRS; i++) {
                    insert.setBytes(1, png(image(i % PAIRS)));
                    insert.setString(2, "photo" + i + ".png");
                    if (i == PAIRS) {
                        insert.setNull(3, java.sql.Types.BLOB);
                    } else {
                        insert.setBytes(3, png(condition(i)));
                    }
                    insert.setString(4, "hint" + i + ".png");
                    insert.setString(5, prompt(i % PAIRS));
                    insert.execute();
                }
            }
            st.execute("COPY t TO '" + file + "' (FORMAT parquet)");
        }
        store.putIn(BUCKET, "parquet/train-00000-of-00001.parquet", Files.readAllBytes(file));
        Outcome o = run("runs/parquet", "seg", new PairSpec("parquet", null, "photo", "hint", "caption"), "s3://" + BUCKET + "/parquet/");
        assertPairs(o, "seg", true);
        assertEquals(Map.of("MISSING_PARTNER", 1), o.dropped(), "the row without a condition");
    }

    /** WebDataset tars on the worker's disk: png + seg.png + txt members, one sample without its condition. */
    @Test
    @Timeout(120)
    void webDatasetTars() throws IOException {
        Path folder = dir.resolve("wds");
        Files.createDirectories(folder);
        for (int shard = 0; shard < 2; shard++) {
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(folder.resolve("shard-" + shard + ".tar")))) {
                for (int i = shard * PAIRS / 2; i < (shard + 1) * PAIRS / 2; i++) {
                    String key = String.format("sample%03d", i);
                    member(tar, key + ".png", png(image(i)));
                    member(tar, key + ".seg.png", png(condition(i)));
                    member(tar, key + ".txt", prompt(i).getBytes(StandardCharsets.UTF_8));
                }
                if (shard == 1) {
                    member(tar, "sample099.png", png(image(0)));
                }
            }
        }
        Outcome o = run("runs/webdataset", "seg", new PairSpec("webdataset", null, null, null, null), folder.toString());
        assertPairs(o, "seg", true);
        assertEquals(Map.of("MISSING_PARTNER", 1), o.dropped());
    }

    static void member(TarArchiveOutputStream tar, String name, byte[] bytes) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(bytes.length);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    /** kohya's layout on S3: images with .txt captions, conditions by stem elsewhere; one of each without its partner. */
    @Test
    @Timeout(120)
    void kohyaFolders() {
        for (int i = 0; i < PAIRS; i++) {
            store.putIn(BUCKET, "kohya/train/10_circles/" + i + ".png", png(image(i)));
            if (i % 2 == 0) {
                store.putIn(BUCKET, "kohya/train/10_circles/" + i + ".txt", prompt(i).getBytes(StandardCharsets.UTF_8));
            }
            store.putIn(BUCKET, "kohya/cond/" + i + ".png", png(condition(i)));
        }
        store.putIn(BUCKET, "kohya/train/10_circles/50.png", png(image(0)));
        store.putIn(BUCKET, "kohya/cond/60.png", png(condition(0)));
        Outcome o = run("runs/kohya", "lineart", new PairSpec("kohya", "s3://" + BUCKET + "/kohya/cond/", null, null, null),
                "s3://" + BUCKET + "/kohya/train/");
        assertPairs(o, "lineart", false);
        assertEquals(Map.of("MISSING_PARTNER", 2), o.dropped(), "an image without a condition, a condition without an image");
        assertEquals(Map.of("given", PAIRS / 2, "template", PAIRS / 2), o.captionSources(), "the captioner ran where no caption was given");
        for (Sample s : o.kept()) {
            if (indexOf(s) % 2 == 0) {
                assertEquals(prompt(indexOf(s)), s.caption());
            }
        }
    }

    /** One image under two conditions is two pairs; the same pair twice is a duplicate. */
    @Test
    @Timeout(120)
    void onePictureUnderTwoConditionsIsTwoPairs() {
        store.putIn(BUCKET, "twice/a.png", png(image(3)));
        store.putIn(BUCKET, "twice/c1.png", png(condition(3)));
        store.putIn(BUCKET, "twice/c2.png", png(condition(4)));
        String lines = "{\"source\": \"c1.png\", \"target\": \"a.png\"}\n{\"source\": \"c2.png\", \"target\": \"a.png\"}\n"
                + "{\"source\": \"c1.png\", \"target\": \"a.png\", \"prompt\": \"listed twice\"}\n";
        store.putIn(BUCKET, "twice/prompt.json", lines.getBytes(StandardCharsets.UTF_8));
        Outcome o = run("runs/twice", "canny", new PairSpec("prompt-json", null, null, null, null), "s3://" + BUCKET + "/twice/prompt.json");
        assertEquals(2, o.kept().size(), "two conditions of one image: two pairs");
        assertNotEquals(o.kept().get(0).sha256(), o.kept().get(1).sha256());
        assertEquals(Map.of("DUPLICATE", 1), o.dropped());
    }

    /** Bad pair settings fail before any work, naming each problem. */
    @Test
    void badPairSettingsAreNamed() {
        DataSpec kohya = new DataSpec(List.of("https://example.com/train/"), null, null, null, null, null, null, null, null, null, null, null,
                null, new PairSpec("kohya", null, "bad column!", null, null), null, null, null);
        List<String> p = problems(kohya, "Mask");
        assertTrue(p.stream().anyMatch(s -> s.contains("conditioningDir")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("http(s) cannot list")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("bad column!")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("condition 'Mask'")), p.toString());
        DataSpec unknown = new DataSpec(List.of(), null, null, null, null, null, null, null, null, null, null, null, null,
                new PairSpec("zip", null, null, null, null), null, null, null);
        List<String> q = problems(unknown, "mask");
        assertTrue(q.stream().anyMatch(s -> s.contains("pairs.format 'zip'")), q.toString());
        assertTrue(q.stream().anyMatch(s -> s.contains("name the dataset in 'sources'")), q.toString());
        assertEquals(List.of(), problems(new DataSpec(List.of("/data/fill50k/prompt.json"), null, null, null, null, null, null, null, null,
                null, null, null, null, new PairSpec("prompt-json", null, null, null, null), null, null, null), "mask"), "any condition name with pairs");
    }

    // ---- both ways with the real libraries: datasets and webdataset (.venv/interop) ----

    static String interop(String... args) throws Exception {
        return dev.cnf.model.Oracles.runIn(dev.cnf.model.Oracles.python("interop"),
                dev.cnf.model.Oracles.ROOT.resolve("workers/src/test/python/pairs_interop.py"), args);
    }

    static String rgbSha(Mat stored) {
        Mat rgb = new Mat();
        Imgproc.cvtColor(stored, rgb, stored.channels() == 1 ? Imgproc.COLOR_GRAY2RGB : Imgproc.COLOR_BGR2RGB);
        byte[] bytes = new byte[(int) (rgb.total() * rgb.channels())];
        rgb.get(0, 0, bytes);
        return ObjectStore.sha256(bytes);
    }

    static Mat stored(String key) {
        return Imgcodecs.imdecode(new org.opencv.core.MatOfByte(store.get(key)), Imgcodecs.IMREAD_UNCHANGED);
    }

    /**
     * datasets writes the pairs as an imagefolder (metadata.jsonl by Dataset.to_json, checked by load_dataset) and as Parquet
     * (Dataset.to_parquet, Image features); cnf imports both with the same pixels (centre-cropped) and captions. Then cnf's
     * dataset of the Parquet import is read by webdataset (every sample, its caption and members' bytes as stored), and
     * exported with `cnf dataset export` to an imagefolder that load_dataset reads with the same pairs and captions.
     */
    @Test
    @Timeout(600)
    void roundTripsWithDatasetsAndWebdataset() throws Exception {
        Path made = dir.resolve("hf");
        List<Map<String, Object>> given = Json.MAPPER.readValue(interop("write", made.toString(), String.valueOf(PAIRS)),
                Json.MAPPER.getTypeFactory().constructCollectionType(List.class, Map.class));
        Map<Integer, Map<String, Object>> byIndex = new TreeMap<>();
        given.forEach(g -> byIndex.put(((Number) g.get("index")).intValue(), g));

        Outcome folder = run("runs/hf-imagefolder", "canny", new PairSpec("imagefolder", null, null, null, null),
                made.resolve("imagefolder/metadata.jsonl").toString());
        Outcome parquet = run("runs/hf-parquet", "canny", new PairSpec("parquet", null, null, null, null), made.resolve("pairs.parquet").toString());
        for (Outcome o : List.of(folder, parquet)) {
            assertEquals(PAIRS, o.kept().size(), "dropped: " + o.drops());
            for (Sample s : o.kept()) {
                Map<String, Object> g = byIndex.get(indexOf(s));
                assertEquals(g.get("text"), s.caption(), s.sourceUrl());
                assertEquals(g.get("image"), rgbSha(stored(s.imageKey())), "the image's pixels, centre-cropped: " + s.sourceUrl());
                assertEquals(g.get("condition"), rgbSha(stored(s.conditionKey())), "the condition's pixels, cropped alike: " + s.sourceUrl());
            }
        }

        // cnf's dataset, as the condition stage writes it, read by webdataset
        RunContext run = new RunContext("runs/hf-parquet", "paired", 7L);
        ConditionActivities.Result written = condition.condition(new ConditionActivities.Request(run, parquet.samplesKey(),
                new ConditionSpec("canny", null)));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> manifest = Json.readLines(store.get(written.manifestKey()), (Class<Map<String, Object>>) (Class<?>) Map.class);
        Path shards = dir.resolve("shards");
        Files.createDirectories(shards);
        for (String key : store.list("runs/hf-parquet/dataset/")) {
            if (key.endsWith(".tar")) {
                Files.write(shards.resolve(key.substring(key.lastIndexOf('/') + 1)), store.get(key));
            }
        }
        List<Map<String, Object>> read = Json.MAPPER.readValue(interop("webdataset", shards.toString()),
                Json.MAPPER.getTypeFactory().constructCollectionType(List.class, Map.class));
        assertEquals(manifest.size(), read.size(), "webdataset reads every sample");
        Map<String, Sample> byId = new TreeMap<>();
        Json.readLines(store.get(written.samplesKey()), Sample.class).forEach(s -> byId.put(s.id(), s));
        for (Map<String, Object> sample : read) {
            Sample s = byId.get((String) sample.get("key"));
            assertNotNull(s, "a key of the manifest: " + sample.get("key"));
            assertEquals(s.caption(), sample.get("caption"));
            assertEquals(ObjectStore.sha256(store.get(s.imageKey())), sample.get("image"), "the stored image, byte for byte");
            assertEquals(Map.of("canny.png", ObjectStore.sha256(store.get(s.conditionKey()))), sample.get("conditions"));
            assertEquals(s.sha256(), ((Map<?, ?>) sample.get("json")).get("sha256"));
        }

        // and out again, as an imagefolder that datasets loads with the same pairs and captions
        Path exported = dir.resolve("exported");
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = dev.cnf.workers.cli.CnfCli.commandLine();
        cli.setErr(new java.io.PrintWriter(err));
        int code = cli.execute("dataset", "export", "s3://" + store.bucket() + "/runs/hf-parquet/dataset/manifest.jsonl", "--to", exported.toString(),
                "--s3", s3.config("paired").endpoint(), "--s3-access-key", EmbeddedS3.ACCESS_KEY, "--s3-secret-key", EmbeddedS3.SECRET_KEY);
        assertEquals(0, code, err.toString());
        List<Map<String, Object>> loaded = Json.MAPPER.readValue(interop("imagefolder", exported.toString()),
                Json.MAPPER.getTypeFactory().constructCollectionType(List.class, Map.class));
        java.util.Set<List<Object>> expected = new java.util.HashSet<>();
        given.forEach(g -> expected.add(List.of(g.get("text"), g.get("image"), g.get("condition"))));
        java.util.Set<List<Object>> actual = new java.util.HashSet<>();
        loaded.forEach(l -> actual.add(List.of(l.get("caption"), l.get("image"), l.get("condition"))));
        assertEquals(expected, actual, "load_dataset reads the pairs and captions datasets wrote, through cnf and back");
    }
}
