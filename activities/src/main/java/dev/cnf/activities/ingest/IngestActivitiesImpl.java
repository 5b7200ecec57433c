package dev.cnf.activities.ingest;

import dev.cnf.activities.dataset.Drop;
import dev.cnf.activities.dataset.DropReason;
import dev.cnf.activities.dataset.Sample;
import dev.cnf.activities.storage.Json;
import dev.cnf.activities.storage.ObjectStore;
import dev.cnf.workflows.stages.IngestActivities;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Crawls gallery pages breadth-first (same host, up to maxDepth links deep), collecting
 * {@code <img src alt title>}; a source that is itself an image is taken as one. Originals are
 * stored content-addressed ({@code <run>/raw/<sha256>}), never under a name built from the URL.
 */
public class IngestActivitiesImpl implements IngestActivities {
    private final ObjectStore store;
    private final HttpFetcher fetcher;
    private final List<String> defaultSources;

    public IngestActivitiesImpl(ObjectStore store, HttpFetcher fetcher, List<String> defaultSources) {
        this.store = store;
        this.fetcher = fetcher;
        this.defaultSources = List.copyOf(defaultSources);
    }

    private static final String PAGE = "page: ";

    private record Page(URI uri, int depth) {}

    private record ImageRef(URI uri, URI page, String alt) {}

    @Override
    public Result ingest(Request r) {
        long started = System.nanoTime();
        List<String> sources = r.sources().isEmpty() ? defaultSources : r.sources();
        if (sources.isEmpty()) {
            throw ApplicationFailure.newNonRetryableFailure(
                    "no sources: set 'sources' in the workflow input, or start the worker with --default-source", "InvalidInput");
        }
        Deque<Page> pages = new ArrayDeque<>();
        Set<URI> seenPages = new HashSet<>();
        Set<URI> seenImages = new HashSet<>();
        List<ImageRef> images = new ArrayList<>();
        List<Drop> drops = new ArrayList<>();
        for (String s : sources) {
            URI u = URI.create(s).normalize();
            if (seenPages.add(u)) {
                pages.add(new Page(u, 0));
            }
        }
        while (!pages.isEmpty() && images.size() < r.maxImages()) {
            Page page = pages.poll();
            Activity.getExecutionContext().heartbeat(images.size());
            HttpFetcher.Response resp = fetcher.get(page.uri());
            if (!resp.ok()) {
                drops.add(new Drop(page.uri().toString(), resp.failure(), PAGE + resp.detail()));
                continue;
            }
            if (ImageSniffer.sniff(resp.body()) != null) {
                if (seenImages.add(page.uri())) {
                    images.add(new ImageRef(page.uri(), page.uri(), ""));
                }
                continue;
            }
            Document doc = Jsoup.parse(new String(resp.body(), StandardCharsets.UTF_8), resp.finalUri().toString());
            for (Element img : doc.select("img[src]")) {
                URI src = safeUri(img.absUrl("src"));
                if (src != null && seenImages.add(src) && images.size() < r.maxImages()) {
                    String alt = img.attr("alt").isBlank() ? img.attr("title") : img.attr("alt");
                    images.add(new ImageRef(src, page.uri(), alt.strip()));
                }
            }
            if (page.depth() < r.maxDepth()) {
                for (Element a : doc.select("a[href]")) {
                    URI link = safeUri(a.absUrl("href"));
                    if (link != null && sameHost(link, page.uri()) && seenPages.add(link)) {
                        pages.add(new Page(link, page.depth() + 1));
                    }
                }
            }
        }

        List<Sample> fetched = new ArrayList<>();
        int done = 0;
        for (ImageRef ref : images) {
            HttpFetcher.Response resp = fetcher.get(ref.uri());
            if (!resp.ok()) {
                drops.add(new Drop(ref.uri().toString(), resp.failure(), resp.detail()));
            } else if (ImageSniffer.sniff(resp.body()) == null) {
                drops.add(new Drop(ref.uri().toString(), DropReason.NOT_AN_IMAGE,
                        "magic bytes match no image format (server said '" + resp.contentType() + "')"));
            } else {
                String sha = ObjectStore.sha256(resp.body());
                String key = r.runPrefix() + "/raw/" + sha;
                if (!store.exists(key)) {
                    store.put(key, resp.body(), "application/octet-stream");
                }
                fetched.add(Sample.fetched(ref.uri().toString(), ref.page().toString(), ref.alt(), key, sha, resp.body().length));
            }
            Activity.getExecutionContext().heartbeat(++done);
        }
        String itemsKey = r.runPrefix() + "/ingest/items.jsonl";
        store.put(itemsKey, Json.lines(fetched), "application/x-ndjson");
        String dropsKey = r.runPrefix() + "/ingest/drops.jsonl";
        store.put(dropsKey, Json.lines(drops), "application/x-ndjson");
        dev.cnf.activities.StageMetrics.throughput("ingest", fetched.size(), started);
        return new Result(images.size(), fetched.size(), Drop.countByReason(drops.stream().filter(d -> !d.detail().startsWith(PAGE)).toList()),
                Drop.countByReason(drops.stream().filter(d -> d.detail().startsWith(PAGE)).toList()), itemsKey, dropsKey);
    }

    private static URI safeUri(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            URI u = new URI(s).normalize();
            String scheme = u.getScheme();
            if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
                return null;
            }
            return new URI(u.getScheme(), u.getUserInfo(), u.getHost(), u.getPort(), u.getPath(), u.getQuery(), null);
        } catch (Exception e) {
            return null;
        }
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }
}
