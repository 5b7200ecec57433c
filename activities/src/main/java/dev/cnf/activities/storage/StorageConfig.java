package dev.cnf.activities.storage;

/**
 * How to reach the S3-compatible object store (MinIO, S3Proxy, AWS S3) and which bucket holds everything. Without keys
 * (both null) the credentials come from the AWS chain ({@link S3Credentials}).
 */
public record StorageConfig(String endpoint, String accessKey, String secretKey, String bucket, String region) {
    public StorageConfig {
        java.util.List<String> problems = new java.util.ArrayList<>();
        if (endpoint == null || !(endpoint.startsWith("http://") || endpoint.startsWith("https://"))) {
            problems.add("S3 endpoint '" + endpoint + "' must be an http(s):// URL, e.g. http://127.0.0.1:9000");
        }
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            problems.add("bucket '" + bucket + "' is not a valid S3 bucket name (3-63 lower-case letters, digits, '.', '-')");
        }
        try {
            S3Credentials.resolve(accessKey, secretKey); // a missing or half-given credential is named now
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        region = region == null || region.isBlank() ? "us-east-1" : region;
    }

    @Override
    public String toString() { // never the secret, in logs or errors
        return "StorageConfig[endpoint=" + endpoint + ", bucket=" + bucket + ", region=" + region + ", accessKey=" + accessKey + "]";
    }
}
