package dev.cnf.activities.dataset;

import java.util.Map;

/**
 * One row of the dataset tables (JSON lines in object storage). Each stage fills in more fields
 * and writes a new table, so every stage's output stays inspectable. An imported pair's {@code sha256} is the pair's
 * (of its image's and its condition's hashes), {@code givenConditionKey} its condition's original and a caption it came
 * with has the source {@code given}.
 */
public record Sample(
        String id,
        String sourceUrl,
        String pageUrl,
        String altText,
        String rawKey,
        String sha256,
        String phash,
        long bytes,
        String imageKey,
        int width,
        int height,
        String caption,
        String captionSource,
        boolean captionTruncated,
        String conditionKey,
        Map<String, Object> conditionParams,
        String givenConditionKey) {

    public static Sample fetched(String sourceUrl, String pageUrl, String altText, String rawKey, String sha256, long bytes) {
        return new Sample(sha256.substring(0, 16), sourceUrl, pageUrl, altText, rawKey, sha256, null, bytes, null, 0, 0, null, null, false, null, null, null);
    }

    /** The normalised training image, its original size (after EXIF orientation) and its perceptual hash. */
    public Sample withImage(String key, int w, int h, String perceptualHash) {
        return new Sample(id, sourceUrl, pageUrl, altText, rawKey, sha256, perceptualHash, bytes, key, w, h, caption, captionSource, captionTruncated, conditionKey, conditionParams, givenConditionKey);
    }

    /** @param truncated the text was cut at a word boundary to fit the text encoder's tokens */
    public Sample withCaption(String text, String source, boolean truncated) {
        return new Sample(id, sourceUrl, pageUrl, altText, rawKey, sha256, phash, bytes, imageKey, width, height, text, source, truncated, conditionKey, conditionParams, givenConditionKey);
    }

    public Sample withCaption(String text, String source) {
        return new Sample(id, sourceUrl, pageUrl, altText, rawKey, sha256, phash, bytes, imageKey, width, height, text, source, false, conditionKey, conditionParams, givenConditionKey);
    }

    /** The original of the condition an imported pair came with (content-addressed, like {@code rawKey}). */
    public Sample withGivenCondition(String originalKey) {
        return new Sample(id, sourceUrl, pageUrl, altText, rawKey, sha256, phash, bytes, imageKey, width, height, caption, captionSource, captionTruncated, conditionKey, conditionParams, originalKey);
    }

    public boolean givenCaption() {
        return "given".equals(captionSource);
    }

    public Sample withCondition(String key, Map<String, Object> params) {
        return new Sample(id, sourceUrl, pageUrl, altText, rawKey, sha256, phash, bytes, imageKey, width, height, caption, captionSource, captionTruncated, key, params, givenConditionKey);
    }
}
