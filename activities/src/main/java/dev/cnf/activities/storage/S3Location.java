package dev.cnf.activities.storage;

/** An {@code s3://bucket/key} location split into its bucket and its key (or prefix; empty for the whole bucket). */
public record S3Location(String bucket, String key) {
    /** @param location {@code s3://bucket}, {@code s3://bucket/} or {@code s3://bucket/key} */
    public static S3Location of(String location) {
        if (!location.startsWith("s3://")) {
            throw new IllegalArgumentException("'" + location + "' is no s3:// location");
        }
        String rest = location.substring("s3://".length());
        int slash = rest.indexOf('/');
        return new S3Location(slash < 0 ? rest : rest.substring(0, slash), slash < 0 ? "" : rest.substring(slash + 1));
    }

    public String uri() {
        return "s3://" + bucket + "/" + key;
    }
}
