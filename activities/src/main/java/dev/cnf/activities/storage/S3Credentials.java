package dev.cnf.activities.storage;

import io.minio.credentials.AwsConfigProvider;
import io.minio.credentials.AwsEnvironmentProvider;
import io.minio.credentials.IamAwsProvider;
import io.minio.credentials.Provider;
import io.minio.credentials.StaticProvider;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Where the S3 credentials come from: the keys given to cnf ({@code --s3-access-key}/{@code --s3-secret-key} or
 * {@code CNF_S3_*}), else the standard AWS chain in the AWS SDKs' order: {@code AWS_ACCESS_KEY_ID}/
 * {@code AWS_SECRET_ACCESS_KEY} (with {@code AWS_SESSION_TOKEN}); web identity ({@code AWS_WEB_IDENTITY_TOKEN_FILE} and
 * {@code AWS_ROLE_ARN}, as IRSA sets them on Kubernetes; STS at {@code AWS_ENDPOINT_URL_STS} or the regional
 * endpoint); the shared credentials file ({@code AWS_PROFILE}, {@code AWS_SHARED_CREDENTIALS_FILE} or
 * {@code ~/.aws/credentials}); the ECS container endpoint. The EC2 instance metadata service is not asked: off EC2 it
 * only adds a timeout. Names are read as MinIO's providers read them: a system property first, then the environment.
 */
public final class S3Credentials {
    /** @param source what a person reads to know which credentials are in use, e.g. "AWS_PROFILE=dev in ~/.aws/credentials" */
    public record Resolved(Provider provider, String source) {}

    private S3Credentials() {}

    public static Resolved resolve(String accessKey, String secretKey) {
        return resolve(accessKey, secretKey, S3Credentials::property, Path.of(System.getProperty("user.home")));
    }

    static Resolved resolve(String accessKey, String secretKey, UnaryOperator<String> env, Path home) {
        if (accessKey != null || secretKey != null) {
            if (accessKey == null || secretKey == null || accessKey.isBlank() || secretKey.isBlank()) {
                throw new IllegalArgumentException("give both --s3-access-key and --s3-secret-key (or CNF_S3_ACCESS_KEY and"
                        + " CNF_S3_SECRET_KEY), or neither to use the AWS credential chain");
            }
            return new Resolved(new StaticProvider(accessKey, secretKey, null), "the keys given to cnf");
        }
        if (env.apply("AWS_ACCESS_KEY_ID") != null || env.apply("AWS_SECRET_ACCESS_KEY") != null) {
            if (env.apply("AWS_ACCESS_KEY_ID") == null || env.apply("AWS_SECRET_ACCESS_KEY") == null) {
                throw new IllegalArgumentException("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together; one of them is unset");
            }
            return new Resolved(new AwsEnvironmentProvider(), "AWS_ACCESS_KEY_ID" + (env.apply("AWS_SESSION_TOKEN") != null
                    ? " with AWS_SESSION_TOKEN" : ""));
        }
        String tokenFile = env.apply("AWS_WEB_IDENTITY_TOKEN_FILE");
        if (tokenFile != null) {
            if (env.apply("AWS_ROLE_ARN") == null) {
                throw new IllegalArgumentException("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not (web identity needs both)");
            }
            if (!Files.isReadable(Path.of(tokenFile))) {
                throw new IllegalArgumentException("cannot read AWS_WEB_IDENTITY_TOKEN_FILE " + tokenFile);
            }
            return new Resolved(new IamAwsProvider(env.apply("AWS_ENDPOINT_URL_STS"), null),
                    "web identity for " + env.apply("AWS_ROLE_ARN"));
        }
        String file = env.apply("AWS_SHARED_CREDENTIALS_FILE");
        Path shared = file != null ? Path.of(file) : home.resolve(".aws").resolve("credentials");
        String profile = env.apply("AWS_PROFILE") != null ? env.apply("AWS_PROFILE") : "default";
        if (Files.isRegularFile(shared)) {
            AwsConfigProvider fromFile = new AwsConfigProvider(shared.toString(), profile);
            try {
                fromFile.fetch(); // a missing profile or key is named now, not at the first upload
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("AWS profile " + profile + " in " + shared + ": " + e.getMessage());
            }
            return new Resolved(fromFile, "AWS profile " + profile + " in " + shared);
        }
        if (env.apply("AWS_PROFILE") != null) {
            throw new IllegalArgumentException("AWS_PROFILE=" + profile + " but there is no credentials file " + shared);
        }
        if (env.apply("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != null || env.apply("AWS_CONTAINER_CREDENTIALS_FULL_URI") != null) {
            return new Resolved(new IamAwsProvider(null, null), "the container credentials endpoint");
        }
        throw new IllegalArgumentException("no S3 credentials: give --s3-access-key and --s3-secret-key (or CNF_S3_ACCESS_KEY and"
                + " CNF_S3_SECRET_KEY), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE with " + shared
                + ", or web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN)");
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        return value != null ? value : System.getenv(name);
    }
}
