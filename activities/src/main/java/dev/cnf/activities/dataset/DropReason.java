package dev.cnf.activities.dataset;

/** Why an item left the dataset. Every drop carries exactly one of these. */
public enum DropReason {
    /** A source row or link that is no usable http(s)/s3 URL. */
    INVALID_URL,
    /** A row of an imported dataset's listing that cannot be read (malformed JSON or CSV, a path out of the dataset's folder). */
    BAD_METADATA,
    /** An imported pair lacks its image or its condition: not listed, or not found where it is listed. */
    MISSING_PARTNER,
    /** A redirect without a usable Location, or another 1xx/3xx answer. */
    HTTP_3XX,
    HTTP_4XX,
    HTTP_5XX,
    /** 429 Too Many Requests after every retry, or a Retry-After longer than we wait. */
    RATE_LIMITED,
    /** Connect, silence (read) or total deadline passed. */
    TIMEOUT,
    NETWORK_ERROR,
    TOO_MANY_REDIRECTS,
    /** A hop resolved to a loopback, private, link-local, multicast or unspecified address that is not allow-listed. */
    BLOCKED_ADDRESS,
    /** robots.txt disallows the URL for our user agent (or could not be read: RFC 9309 then assumes disallow). */
    ROBOTS_DISALLOWED,
    /** X-Robots-Tag or a page's meta robots says noai, noimageai, noindex or noimageindex (configurable). */
    OPTED_OUT,
    TOO_LARGE_BYTES,
    /** The header's width x height exceeds the pixel limit; refused before decoding (decompression bombs). */
    TOO_MANY_PIXELS,
    /** Magic bytes match no raster image format (HTML, SVG, empty body...). */
    NOT_AN_IMAGE,
    /** A known format the decoder failed on, or a truncated file. */
    DECODE_ERROR,
    TOO_SMALL,
    /** Longer side over shorter side above the limit: a centre crop would lose most of the image. */
    BAD_ASPECT,
    /** An imported condition whose size differs from its image's: the two could not be cropped alike. */
    CONDITION_SIZE_MISMATCH,
    /**
     * An imported condition that is not grey, RGB, or RGBA with opaque alpha: a grey+alpha or translucent map has no one
     * meaning as a control signal.
     */
    CONDITION_CHANNELS,
    /**
     * One colour, or nearly: each channel's standard deviation under the limit after decoding (transparency composited). Its
     * perceptual hash is degenerate, so it is dropped before deduplication instead of passing for a near duplicate.
     */
    FLAT_IMAGE,
    /** The same bytes (SHA-256) as an earlier item. */
    DUPLICATE,
    /** A perceptual hash within the Hamming threshold of an earlier item's (re-encoded or resized copies). */
    NEAR_DUPLICATE,
    /** Retraining with onlyNewData: the same bytes were in the latest published version's training data. */
    ALREADY_TRAINED
}
