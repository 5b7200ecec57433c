package dev.cnf.activities.storage;

import io.minio.credentials.Credentials;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The credential chain's order and its errors, on a made-up environment and home directory. */
class S3CredentialsTest {
    @TempDir
    Path home;

    S3Credentials.Resolved resolve(String accessKey, String secretKey, Map<String, String> env) {
        return S3Credentials.resolve(accessKey, secretKey, env::get, home);
    }

    void credentialsFile(String text) throws Exception {
        Files.createDirectories(home.resolve(".aws"));
        Files.writeString(home.resolve(".aws/credentials"), text);
    }

    @Test
    void keysGivenToCnfComeFirst() throws Exception {
        credentialsFile("[default]\naws_access_key_id = FILE\naws_secret_access_key = file-secret\n");
        S3Credentials.Resolved r = resolve("GIVEN", "given-secret", Map.of("AWS_ACCESS_KEY_ID", "ENV", "AWS_SECRET_ACCESS_KEY", "s"));
        assertEquals("the keys given to cnf", r.source());
        assertEquals("GIVEN", r.provider().fetch().accessKey());
    }

    @Test
    void theEnvironmentComesBeforeTheProfileFile() throws Exception {
        credentialsFile("[default]\naws_access_key_id = FILE\naws_secret_access_key = file-secret\n");
        S3Credentials.Resolved r = resolve(null, null, Map.of("AWS_ACCESS_KEY_ID", "ENV", "AWS_SECRET_ACCESS_KEY", "s",
                "AWS_SESSION_TOKEN", "t"));
        assertEquals("AWS_ACCESS_KEY_ID with AWS_SESSION_TOKEN", r.source());
    }

    @Test
    void aProfileIsReadFromTheSharedCredentialsFileWithItsSessionToken() throws Exception {
        credentialsFile("[default]\naws_access_key_id = FILE\naws_secret_access_key = file-secret\n\n"
                + "[training]\naws_access_key_id = TRAIN\naws_secret_access_key = train-secret\naws_session_token = tok\n");
        S3Credentials.Resolved r = resolve(null, null, Map.of("AWS_PROFILE", "training"));
        Credentials c = r.provider().fetch();
        assertEquals("TRAIN", c.accessKey());
        assertEquals("tok", c.sessionToken());
        assertTrue(r.source().startsWith("AWS profile training in "), r.source());
        assertEquals("FILE", resolve(null, null, Map.of()).provider().fetch().accessKey(), "default profile");

        Path elsewhere = home.resolve("other-credentials");
        Files.writeString(elsewhere, "[default]\naws_access_key_id = OTHER\naws_secret_access_key = other-secret\n");
        assertEquals("OTHER", resolve(null, null, Map.of("AWS_SHARED_CREDENTIALS_FILE", elsewhere.toString())).provider().fetch().accessKey());
    }

    @Test
    void webIdentityComesBeforeTheProfileFile() throws Exception {
        credentialsFile("[default]\naws_access_key_id = FILE\naws_secret_access_key = file-secret\n");
        Path token = Files.writeString(home.resolve("token"), "eyJ.token.sig");
        Map<String, String> env = new HashMap<>(Map.of("AWS_WEB_IDENTITY_TOKEN_FILE", token.toString()));
        IllegalArgumentException noRole = assertThrows(IllegalArgumentException.class, () -> resolve(null, null, env));
        assertTrue(noRole.getMessage().contains("AWS_ROLE_ARN"), noRole.getMessage());
        env.put("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cnf-trainer");
        assertEquals("web identity for arn:aws:iam::123456789012:role/cnf-trainer", resolve(null, null, env).source());
    }

    @Test
    void eachMissingOrHalfGivenCredentialIsNamed() throws Exception {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> resolve("only-access", null, Map.of()))
                .getMessage().contains("give both --s3-access-key and --s3-secret-key"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> resolve(null, null, Map.of("AWS_ACCESS_KEY_ID", "A")))
                .getMessage().contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> resolve(null, null, Map.of("AWS_PROFILE", "nope")))
                .getMessage().contains("AWS_PROFILE=nope but there is no credentials file"));
        credentialsFile("[default]\naws_access_key_id = FILE\naws_secret_access_key = file-secret\n");
        String missingProfile = assertThrows(IllegalArgumentException.class, () -> resolve(null, null, Map.of("AWS_PROFILE", "nope")))
                .getMessage();
        assertTrue(missingProfile.contains("AWS profile nope") && missingProfile.contains("does not exist"), missingProfile);
        Files.delete(home.resolve(".aws/credentials"));
        String none = assertThrows(IllegalArgumentException.class, () -> resolve(null, null, Map.of())).getMessage();
        assertTrue(none.startsWith("no S3 credentials") && none.contains("AWS_PROFILE") && none.contains("AWS_WEB_IDENTITY_TOKEN_FILE"), none);
    }

    @Test
    void aConfigNamesEveryProblemAndNeverPrintsTheSecret() {
        String all = assertThrows(IllegalArgumentException.class, () -> new StorageConfig("ftp://x", "a", null, "B", null)).getMessage();
        assertTrue(all.contains("must be an http(s):// URL") && all.contains("not a valid S3 bucket name")
                && all.contains("give both --s3-access-key"), all);
        assertFalse(new StorageConfig("http://127.0.0.1:9000", "key", "very-secret", "cnf", null).toString().contains("very-secret"));
    }
}
