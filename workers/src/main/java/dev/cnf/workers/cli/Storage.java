package dev.cnf.workers.cli;

import dev.cnf.activities.storage.StorageConfig;
import picocli.CommandLine.Option;

/** S3 endpoint flags (MinIO, S3Proxy, AWS), with environment fallbacks for containers and the AWS credential chain. */
public class Storage {
    @Option(names = "--s3", defaultValue = "${env:CNF_S3_ENDPOINT}", description = "S3 endpoint URL, e.g. http://minio:9000 (env CNF_S3_ENDPOINT)")
    String endpoint;

    @Option(names = "--s3-access-key", defaultValue = "${env:CNF_S3_ACCESS_KEY}", description = "S3 access key (env CNF_S3_ACCESS_KEY); without keys, the AWS chain: AWS_ACCESS_KEY_ID/"
                    + "AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, web identity (IRSA), AWS_PROFILE and ~/.aws/credentials")
    String accessKey;

    @Option(names = "--s3-secret-key", defaultValue = "${env:CNF_S3_SECRET_KEY}", description = "S3 secret key (env CNF_S3_SECRET_KEY)")
    String secretKey;

    @Option(names = "--bucket", defaultValue = "${env:CNF_S3_BUCKET:-cnf}", description = "bucket for runs and models (env CNF_S3_BUCKET; default ${DEFAULT-VALUE})")
    String bucket;

    @Option(names = "--s3-region", defaultValue = "${env:CNF_S3_REGION:-us-east-1}", description = "S3 region (default ${DEFAULT-VALUE})")
    String region;

    StorageConfig config() {
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("--s3 is required (or set CNF_S3_ENDPOINT), e.g. --s3 http://minio:9000");
        }
        return new StorageConfig(endpoint, accessKey, secretKey, bucket, region);
    }
}
