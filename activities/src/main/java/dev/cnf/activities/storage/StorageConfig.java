package dev.cnf.activities.storage;

/** How to reach the S3-compatible object store (MinIO, S3Proxy, AWS S3) and which bucket holds everything. */
public record StorageConfig(String endpoint, String accessKey, String secretKey, String bucket, String region) {
    public StorageConfig {
        if (endpoint == null || !(endpoint.startsWith("http://") || endpoint.startsWith("https://"))) {
            throw new IllegalArgumentException("S3 endpoint '" + endpoint + "' must be an http(s):// URL, e.g. http://127.0.0.1:9000");
        }
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("bucket '" + bucket + "' is not a valid S3 bucket name (3-63 lower-case letters, digits, '.', '-')");
        }
        region = region == null || region.isBlank() ? "us-east-1" : region;
    }
}
