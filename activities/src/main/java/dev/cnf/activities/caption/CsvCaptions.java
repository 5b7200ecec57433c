package dev.cnf.activities.caption;

import dev.cnf.activities.dataset.UrlLists;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * User-provided captions (the {@code csv} captioner): a CSV/TSV/JSONL file whose rows name an image by
 * URL or by file name (column url, image_url, src or image; for file names also file or filename) and
 * give its caption. A sample matches by its exact source URL first, then by the last path segment.
 */
public final class CsvCaptions {
    private final Map<String, String> byUrl = new HashMap<>();
    private final Map<String, String> byName = new HashMap<>();

    public CsvCaptions(String fileName, String text) {
        for (UrlLists.Row row : UrlLists.parse(fileName, text)) {
            if (row.error() == null && row.url() != null) {
                String key = row.url().strip();
                byUrl.put(key, row.caption());
                byName.putIfAbsent(lastSegment(key), row.caption());
            }
        }
        if (byUrl.isEmpty()) {
            throw new IllegalArgumentException("caption file " + fileName + " has no rows with an image (url or file column) and a caption");
        }
    }

    static String lastSegment(String urlOrName) {
        String path = urlOrName;
        try {
            URI u = URI.create(urlOrName);
            if (u.getPath() != null) {
                path = u.getPath();
            }
        } catch (IllegalArgumentException ignored) {
            // a bare file name
        }
        int slash = path.lastIndexOf('/');
        return slash >= 0 ? path.substring(slash + 1) : path;
    }

    /** @return the caption, or null when the file has none for this image */
    public String find(String sourceUrl) {
        String c = byUrl.get(sourceUrl);
        return c != null ? c : byName.get(lastSegment(sourceUrl));
    }

    public int size() {
        return byUrl.size();
    }

    List<String> urls() {
        return List.copyOf(byUrl.keySet());
    }
}
