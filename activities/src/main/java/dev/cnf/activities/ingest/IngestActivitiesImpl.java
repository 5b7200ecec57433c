package dev.cnf.activities.ingest;

import dev.cnf.activities.registry.RunKeys;

import dev.cnf.activities.dataset.UrlLists;

import dev.cnf.activities.StageMetrics;
import dev.cnf.activities.dataset.Drop;
import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.imaging.ImageDecoder;
import dev.cnf.activities.imaging.ImageSniffer;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.activities.storage.S3Location;
import dev.cnf.workflows.stages.IngestActivities;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Discovery expands the sources into image references: gallery pages crawled breadth-first (same
 * host, up to maxDepth links deep; {@code <img src|srcset alt|title>}, {@code <picture><source srcset>}),
 * sitemaps (page and image sitemaps, sitemap indexes), URL lists (.txt, .csv, .tsv, .jsonl, over
 * http(s) or from S3) and S3 prefixes of images (a {@code name.txt} beside {@code name.jpg} is its
 * caption). References are written in shards; each shard is fetched by its own activity, many
 * requests at once but per-host limited by the fetcher. Originals are stored content-addressed
 * ({@code <run>/raw/<sha256>}), never under a name built from the URL.
 */
public class IngestActivitiesImpl implements IngestActivities {
    /** Directives on a page that opt its images out (noindex alone only keeps the page itself out of an index). */
    private static final Set<String> IMAGE_OPT_OUTS = Set.of("noai", "noimageai", "noimageindex");

    /** Sources whose path names an image are taken as images without a discovery request. */
    static final java.util.regex.Pattern IMAGE_PATH =
            java.util.regex.Pattern.compile("\\.(jpe?g|png|gif|webp|bmp|tiff?)$", java.util.regex.Pattern.CASE_INSENSITIVE);

    private final ObjectStore store;
    private final HttpFetcher fetcher;
    private final DatasetFiles files;
    private final List<String> defaultSources;
    private final ExecutorService pool;

    /** @param fetchThreads requests one worker runs at once (per-host limits apply on top) */
    public IngestActivitiesImpl(ObjectStore store, HttpFetcher fetcher, List<String> defaultSources, int fetchThreads) {
        this.store = store;
        this.fetcher = fetcher;
        this.files = new DatasetFiles(store, fetcher);
        this.defaultSources = List.copyOf(defaultSources);
        this.pool = Executors.newFixedThreadPool(fetchThreads, r -> {
            Thread t = new Thread(r, "cnf-fetch");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * One image to fetch: where it is, the page it was found on, and the text that came with it; for an imported pair
     * also its condition's location and its given caption (null: none given). Bytes a dataset embeds (tar members,
     * Parquet cells) were stored by discovery: {@code stored} and {@code conditionStored} are their keys.
     */
    public record Ref(String url, String page, String alt, String condition, String stored, String conditionStored, String caption) {
        static Ref image(String url, String page, String alt) {
            return new Ref(url, page, alt, null, null, null, null);
        }

        static Ref pair(String url, String page, String condition, String stored, String conditionStored, String caption) {
            return new Ref(url, page, "", condition, stored, conditionStored, caption);
        }

        boolean paired() {
            return condition != null || conditionStored != null;
        }

        /** What tells two listed pairs apart: one image may come with several conditions. */
        String identity() {
            return paired() ? url + "\n" + (condition != null ? condition : conditionStored) : url;
        }
    }

    /** A lane's hosts and when a request to each last started (epoch millis), for the lane's next shard. */
    record HostStarts(java.util.Map<String, Long> lastStartEpochMillis) {}

    private record Page(URI uri, int depth, boolean source) {}

    /** Mutable state of one discovery. */
    private final class Crawl {
        final int maxImages;
        final int maxDepth;
        final Map<String, Ref> refs = new LinkedHashMap<>();
        final List<Drop> drops = new ArrayList<>();
        final List<Drop> pageFailures = new ArrayList<>();
        final Deque<Page> pages = new ArrayDeque<>();
        final Set<URI> seenPages = new HashSet<>();
        final Set<String> mentioned = new HashSet<>();

        final boolean followOtherHosts;

        Crawl(int maxImages, int maxDepth, boolean followOtherHosts) {
            this.maxImages = maxImages;
            this.maxDepth = maxDepth;
            this.followOtherHosts = followOtherHosts;
        }

        boolean full() {
            return refs.size() + drops.size() >= maxImages;
        }

        void image(String url, String page, String alt, String optedOutBy) {
            if (full() || !mentioned.add(url)) {
                return;
            }
            if (optedOutBy != null) {
                drops.add(new Drop(url, DropReason.OPTED_OUT, "the page " + page + " says " + optedOutBy));
                return;
            }
            refs.put(url, Ref.image(url, page, alt == null ? "" : alt.strip()));
        }

        /** Every row of a dataset is an item: a pair listed again is counted, as a duplicate. */
        void pair(Ref ref) {
            if (full()) {
                return;
            }
            if (mentioned.add(ref.identity())) {
                refs.put(ref.identity(), ref);
            } else {
                drops.add(new Drop(ref.url(), DropReason.DUPLICATE, "the same image and condition are listed again"
                        + (ref.condition() == null ? "" : " (" + ref.condition() + ")")));
            }
        }

        void page(URI uri, int depth, boolean source) {
            if (seenPages.add(uri)) {
                pages.add(new Page(uri, depth, source));
            }
        }

        void badUrl(String raw, String where) {
            if (!full()) {
                drops.add(new Drop(String.valueOf(raw), DropReason.INVALID_URL, where + ": '" + raw + "' is not an http(s) URL"));
            }
        }
    }

    @Override
    public Discovery discover(DiscoverRequest r) {
        long started = System.nanoTime();
        List<String> sources = r.data().sources().isEmpty() ? defaultSources : r.data().sources();
        if (sources.isEmpty()) {
            throw ApplicationFailure.newNonRetryableFailure(
                    "no sources: set 'sources' in the workflow input, or start the worker with --default-source", "InvalidInput");
        }
        Crawl crawl = r.data().paired() ? pairs(r) : crawl(sources, r.data().maxImages(), r.data().maxDepth(), r.data().followOtherHosts());
        List<Ref> refs = List.copyOf(crawl.refs.values());
        // one lane per shard in flight at most: a host in one lane only, whose shards run one at a time (HostLanes)
        HostLanes.Split<Ref> split = HostLanes.split(refs, Ref::url, r.data().parallelShards(), Math.max(1, r.data().shardSize()));
        int shards = split.shards().size();
        for (int i = 0; i < shards; i++) {
            store.put(RunKeys.ingestRefs(r.run().prefix(), i), Json.lines(split.shards().get(i)), "application/x-ndjson");
        }
        String dropsKey = r.run().prefix() + "/ingest/discovery-drops.jsonl";
        store.put(dropsKey, Json.lines(crawl.drops), "application/x-ndjson");
        String pagesKey = r.run().prefix() + "/ingest/page-failures.jsonl";
        store.put(pagesKey, Json.lines(crawl.pageFailures), "application/x-ndjson");
        StageMetrics.throughput("discover", refs.size(), started);
        // the count, not the keys: a crawl of millions of images must not put a list of shards into the workflow's history
        return new Discovery(refs.size() + crawl.drops.size(), Drop.countByReason(crawl.drops),
                Drop.countByReason(crawl.pageFailures), dropsKey, pagesKey, shards, split.shardsPerLane());
    }

    /** The pairs of the user's dataset; bytes it embeds are stored here, content-addressed (a retried discovery skips them). */
    private Crawl pairs(DiscoverRequest r) {
        Crawl c = new Crawl(r.data().maxImages(), 0, false);
        String prefix = r.run().prefix();
        boolean retry = Activity.getExecutionContext().getInfo().getAttempt() > 1;
        new PairedDatasets(files, fetcher.policy().maxBytes()).read(r.data().pairs(), r.condition(),
                r.data().sources(), new PairedDatasets.Sink() {
                    @Override
                    public void pair(Ref ref) {
                        c.pair(ref);
                    }

                    @Override
                    public void drop(Drop drop) {
                        if (!c.full()) {
                            c.drops.add(drop);
                        }
                    }

                    @Override
                    public void failure(Drop drop) {
                        c.pageFailures.add(drop);
                    }

                    @Override
                    public boolean full() {
                        return c.full();
                    }

                    @Override
                    public String store(byte[] bytes) {
                        String key = prefix + "/raw/" + ObjectStore.sha256(bytes);
                        store.putContentAddressed(key, bytes, "application/octet-stream", retry);
                        return key;
                    }

                    @Override
                    public void heartbeat() {
                        Activity.getExecutionContext().heartbeat(c.refs.size());
                    }
                });
        return c;
    }

    private Crawl crawl(List<String> sources, int maxImages, int maxDepth, boolean followOtherHosts) {
        Crawl c = new Crawl(maxImages, maxDepth, followOtherHosts);
        for (String s : sources) {
            if (s.startsWith("s3://")) {
                s3Source(c, s);
            } else {
                URI u = safeUri(s);
                if (u == null) {
                    c.pageFailures.add(new Drop(s, DropReason.INVALID_URL, "source '" + s + "' is not an http(s) or s3:// URL"));
                } else if (IMAGE_PATH.matcher(u.getPath() == null ? "" : u.getPath()).find()) {
                    c.image(u.toString(), u.toString(), "", null); // fetched once, by its shard
                } else {
                    c.page(u, 0, true);
                }
            }
        }
        while (!c.pages.isEmpty() && !c.full()) {
            Page page = c.pages.poll();
            Runnable tick = () -> Activity.getExecutionContext().heartbeat(c.refs.size());
            tick.run();
            HttpFetcher.Response resp = fetcher.get(page.uri(), tick);
            if (!resp.ok()) {
                c.pageFailures.add(new Drop(page.uri().toString(), resp.failure(), resp.detail()));
                continue;
            }
            String url = page.uri().toString();
            if (ImageSniffer.sniff(resp.body()) != null) {
                c.image(url, url, "", null);
                continue;
            }
            String text = new String(resp.body(), StandardCharsets.UTF_8);
            if (page.source() && UrlLists.isList(page.uri().getPath())) {
                list(c, url, text);
            } else if (isSitemap(text)) {
                sitemap(c, page, text);
            } else {
                html(c, page, resp, text);
            }
        }
        return c;
    }

    private void list(Crawl c, String listUrl, String text) {
        try {
            for (UrlLists.Row row : UrlLists.parse(listUrl, text)) {
                if (row.error() != null) {
                    if (!c.full()) {
                        c.drops.add(new Drop(listUrl + "#" + row.line(), DropReason.INVALID_URL, listUrl + " " + row.error()));
                    }
                    continue;
                }
                URI u = safeUri(row.url());
                if (u == null) {
                    c.badUrl(row.url(), listUrl + " line " + row.line());
                } else {
                    c.image(u.toString(), listUrl, row.caption(), null);
                }
            }
        } catch (IllegalArgumentException e) {
            c.pageFailures.add(new Drop(listUrl, DropReason.INVALID_URL, "URL list unusable: " + e.getMessage()));
        }
    }

    static boolean isSitemap(String text) {
        String head = text.substring(0, Math.min(text.length(), 2048));
        return head.contains("<urlset") || head.contains("<sitemapindex");
    }

    /** Page and image sitemaps; listed pages are visited for their images but not crawled further. */
    private void sitemap(Crawl c, Page page, String text) {
        Document xml = Jsoup.parse(text, page.uri().toString(), Parser.xmlParser());
        for (Element loc : xml.select("sitemap > loc")) {
            URI u = safeUri(loc.text().strip());
            if (u != null) {
                c.page(u, page.depth(), page.source());
            }
        }
        for (Element url : xml.select("url")) {
            Element loc = url.selectFirst("> loc");
            String pageUrl = loc == null ? page.uri().toString() : loc.text().strip();
            for (Element image : url.select("image|image")) {
                Element imageLoc = image.selectFirst("image|loc");
                Element caption = image.selectFirst("image|caption");
                Element title = image.selectFirst("image|title");
                URI u = imageLoc == null ? null : safeUri(imageLoc.text().strip());
                if (u == null) {
                    c.badUrl(imageLoc == null ? "" : imageLoc.text(), "sitemap " + page.uri());
                } else {
                    c.image(u.toString(), pageUrl, caption != null ? caption.text() : title != null ? title.text() : "", null);
                }
            }
            URI p = loc == null ? null : safeUri(pageUrl);
            if (p != null) {
                c.page(p, c.maxDepth, false);
            }
        }
    }

    private void html(Crawl c, Page page, HttpFetcher.Response resp, String text) {
        Document doc = Jsoup.parse(text, resp.finalUri().toString());
        Set<String> directives = new HashSet<>(resp.robotsDirectives());
        for (Element meta : doc.select("meta[name]")) {
            String name = meta.attr("name").toLowerCase(Locale.ROOT);
            if (name.equals("robots") || name.equals(HttpFetcher.ROBOTS_TOKEN)) {
                for (String d : meta.attr("content").toLowerCase(Locale.ROOT).split(",")) {
                    directives.add(d.strip());
                }
            }
        }
        String optedOut = directives.stream()
                .filter(d -> IMAGE_OPT_OUTS.contains(d) && fetcher.policy().optOutDirectives().contains(d))
                .sorted().findFirst().map(d -> "'" + d + "' (X-Robots-Tag or meta robots)").orElse(null);
        for (Element img : doc.select("img[src], img[srcset], picture > source[srcset]")) {
            if (img.tagName().equals("img") && img.parent() != null && img.parent().tagName().equals("picture")
                    && img.parent().selectFirst("> source[srcset]") != null) {
                continue; // the fallback of a <picture> whose <source> was taken: one picture, one image
            }
            String best = bestSource(img, doc.location());
            URI src = safeUri(best);
            if (src == null) {
                if (best != null && !best.startsWith("data:")) {
                    c.badUrl(best, "page " + page.uri());
                }
                continue;
            }
            Element textual = img.tagName().equals("source") && img.parent() != null ? img.parent().selectFirst("img") : img;
            String alt = textual == null ? "" : textual.attr("alt").isBlank() ? textual.attr("title") : textual.attr("alt");
            c.image(src.toString(), page.uri().toString(), alt, optedOut);
        }
        boolean follow = !directives.contains("nofollow") && !directives.contains("none");
        if (follow && page.depth() < c.maxDepth) {
            for (Element a : doc.select("a[href]")) {
                if (a.attr("rel").toLowerCase(Locale.ROOT).contains("nofollow")) {
                    continue;
                }
                URI link = safeUri(a.absUrl("href"));
                if (link != null && (c.followOtherHosts || sameHost(link, page.uri()))) {
                    c.page(link, page.depth() + 1, false);
                }
            }
        }
    }

    /** The widest candidate of srcset ("url 800w, url 2x"), else src; resolved against the page. */
    static String bestSource(Element img, String base) {
        String srcset = img.attr("srcset");
        String best = img.attr("src");
        double bestScore = best.isBlank() ? -1 : 0;
        if (!srcset.isBlank()) {
            for (String candidate : srcset.split(",\\s+|,(?=\\S+\\s)")) {
                String[] parts = candidate.strip().split("\\s+");
                if (parts.length == 0 || parts[0].isBlank()) {
                    continue;
                }
                double score = 1;
                if (parts.length > 1) {
                    String d = parts[1].toLowerCase(Locale.ROOT);
                    try {
                        score = d.endsWith("w") ? Double.parseDouble(d.substring(0, d.length() - 1))
                                : d.endsWith("x") ? Double.parseDouble(d.substring(0, d.length() - 1)) * 1000 : 1;
                    } catch (NumberFormatException e) {
                        score = 1;
                    }
                }
                if (score > bestScore) {
                    bestScore = score;
                    best = parts[0];
                }
            }
        }
        if (best == null || best.isBlank()) {
            return null;
        }
        try {
            return URI.create(base).resolve(best.strip()).toString();
        } catch (IllegalArgumentException e) {
            return best;
        }
    }

    /** An s3:// source: a URL list object, or a prefix whose objects are images (with optional name.txt captions). */
    private void s3Source(Crawl c, String source) {
        S3Location location = S3Location.of(source);
        String bucket = location.bucket();
        String key = location.key();
        try {
            if (UrlLists.isList(key)) {
                list(c, source, new String(store.getFrom(bucket, key), StandardCharsets.UTF_8));
                return;
            }
            List<String> keys = store.listIn(bucket, key);
            Set<String> all = new HashSet<>(keys);
            for (String k : keys) {
                String lower = k.toLowerCase(Locale.ROOT);
                if (lower.endsWith(".txt") || lower.endsWith(".json") || lower.endsWith("/")) {
                    continue; // sidecars and folder markers
                }
                int dot = k.lastIndexOf('.');
                String sidecar = (dot > k.lastIndexOf('/') ? k.substring(0, dot) : k) + ".txt";
                String caption = all.contains(sidecar) ? new String(store.getFrom(bucket, sidecar), StandardCharsets.UTF_8).strip() : "";
                c.image("s3://" + bucket + "/" + k, source, caption, null);
                if (c.full()) {
                    break;
                }
            }
            if (keys.isEmpty()) {
                c.pageFailures.add(new Drop(source, DropReason.HTTP_4XX, "no objects under " + source));
            }
        } catch (RuntimeException e) {
            c.pageFailures.add(new Drop(source, DropReason.NETWORK_ERROR, "S3 source unreadable: " + e.getMessage()));
        }
    }

    @Override
    public ShardResult fetchShard(FetchShardRequest r) {
        String base = RunKeys.ingestShard(r.run().prefix(), r.shard());
        String resultKey = base + ".result.json";
        if (store.exists(resultKey)) {
            return Json.read(store.get(resultKey), ShardResult.class); // finished before a retry or a worker loss
        }
        long started = System.nanoTime();
        List<Ref> refs = Json.readLines(store.get(RunKeys.ingestRefs(r.run().prefix(), r.shard())), Ref.class);
        // the lane's previous shard may have run on another worker: keep its hosts' pacing from its last requests
        String laneKey = RunKeys.ingestLane(r.run().prefix(), r.lane());
        if (store.exists(laneKey)) {
            fetcher.seedLastStarts(Json.read(store.get(laneKey), HostStarts.class).lastStartEpochMillis());
        }
        boolean retry = Activity.getExecutionContext().getInfo().getAttempt() > 1;
        List<Future<Object>> outcomes = new ArrayList<>();
        for (Ref ref : refs) {
            outcomes.add(pool.submit(() -> fetchOne(r.run().prefix(), ref, retry)));
        }
        List<Sample> items = new ArrayList<>();
        List<Drop> drops = new ArrayList<>();
        long bytes = 0;
        try {
            for (int i = 0; i < outcomes.size(); i++) {
                Object o = await(outcomes.get(i), i);
                if (o instanceof Sample s) {
                    items.add(s);
                    bytes += s.bytes();
                } else {
                    drops.add((Drop) o);
                }
            }
        } finally {
            outcomes.forEach(f -> f.cancel(true)); // a cancelled activity stops its fetches
        }
        String itemsKey = base + ".items.jsonl";
        store.put(itemsKey, Json.lines(items), "application/x-ndjson");
        String dropsKey = RunKeys.ingestDrops(r.run().prefix(), r.shard());
        store.put(dropsKey, Json.lines(drops), "application/x-ndjson");
        java.util.Set<String> hosts = new java.util.TreeSet<>();
        refs.forEach(ref -> {
            String host = HostLanes.hostOf(ref.url());
            if (host != null && !host.isEmpty()) {
                hosts.add(host);
            }
        });
        store.put(laneKey, Json.bytes(new HostStarts(fetcher.lastStarts(hosts))), "application/json");
        ShardResult result = new ShardResult(r.shard(), refs.size(), items.size(), bytes, Drop.countByReason(drops), itemsKey, dropsKey);
        store.put(resultKey, Json.bytes(result), "application/json"); // written last: its presence means the shard is done
        StageMetrics.throughput("ingest", items.size(), started);
        return result;
    }

    private static Object await(Future<Object> f, int index) {
        while (true) {
            try {
                return f.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                Activity.getExecutionContext().heartbeat(index);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while fetching", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("fetch failed unexpectedly", e.getCause());
            }
        }
    }

    /**
     * @param retry an earlier attempt may have stored this original already: look before uploading it again
     * @return a fetched {@link Sample} or a {@link Drop}; a pair's sample holds both originals, and its hash is the pair's
     */
    private Object fetchOne(String runPrefix, Ref ref, boolean retry) {
        Object image = original(runPrefix, ref.url(), ref.stored(), retry, ref.paired(), "");
        if (!(image instanceof Stored picture) || !ref.paired()) {
            return image instanceof Stored st ? Sample.fetched(ref.url(), ref.page(), ref.alt(), st.key(), st.sha256(), st.bytes()) : image;
        }
        Object condition = original(runPrefix, ref.condition() == null ? ref.url() : ref.condition(), ref.conditionStored(), retry, true, "condition ");
        if (!(condition instanceof Stored given)) {
            Drop d = (Drop) condition;
            return new Drop(ref.url(), d.reason(), d.detail());
        }
        String pairSha = ObjectStore.sha256((picture.sha256() + ":" + given.sha256()).getBytes(StandardCharsets.UTF_8));
        Sample s = Sample.fetched(ref.url(), ref.page(), ref.alt(), picture.key(), pairSha, picture.bytes() + given.bytes())
                .withGivenCondition(given.key());
        return ref.caption() == null ? s : s.withCaption(ref.caption(), "given");
    }

    /** An original stored content-addressed under the run. */
    private record Stored(String key, String sha256, long bytes) {}

    /**
     * Reads the original at {@code url} (http(s), s3:// or a worker file), or from {@code storedKey} where discovery stored
     * it, and stores it content-addressed: a {@link Stored}, or a {@link Drop} whose detail starts with {@code what}; a
     * partner of a pair that is not there is {@link DropReason#MISSING_PARTNER}.
     */
    private Object original(String runPrefix, String url, String storedKey, boolean retry, boolean partner, String what) {
        byte[] body;
        String contentType = "";
        if (storedKey != null) {
            body = store.getContentAddressed(storedKey);
        } else if (url.startsWith("s3://") || url.startsWith("file:")) {
            try {
                body = files.read(url, fetcher.policy().maxBytes());
            } catch (DatasetFiles.Unreadable e) {
                DropReason reason = e.missing && !partner ? DropReason.NETWORK_ERROR : e.reason;
                return new Drop(url, reason, what + e.getMessage());
            }
        } else {
            HttpFetcher.Response resp = fetcher.get(URI.create(url));
            if (!resp.ok()) {
                boolean missing = partner && (resp.status() == 404 || resp.status() == 410);
                return new Drop(url, missing ? DropReason.MISSING_PARTNER : resp.failure(), what + resp.detail());
            }
            for (String d : resp.robotsDirectives()) {
                if (fetcher.policy().optOutDirectives().contains(d)) {
                    return new Drop(url, DropReason.OPTED_OUT, what + "X-Robots-Tag: " + d);
                }
            }
            body = resp.body();
            contentType = resp.contentType();
        }
        if (ImageSniffer.sniff(body) == null) {
            String said = contentType.isBlank() ? "" : " (served as '" + contentType + "')";
            return new Drop(url, DropReason.NOT_AN_IMAGE, what + ImageDecoder.describe(body) + said);
        }
        String sha = ObjectStore.sha256(body);
        String key = runPrefix + "/raw/" + sha;
        if (storedKey == null) {
            store.putContentAddressed(key, body, "application/octet-stream", retry); // a retry skips what its last attempt stored
        }
        return new Stored(key, sha, body.length);
    }

    /** An absolute http(s) URL in the one form that is both checked and requested ({@link WireUri}), or null. */
    static URI safeUri(String s) {
        return WireUri.of(s);
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }
}
