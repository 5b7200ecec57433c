package dev.cnf.workers.cli;

import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.SimpleSslContextBuilder;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import picocli.CommandLine.Option;

import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Temporal connection flags shared by every command that talks to a running cluster: address and namespace, and for
 * Temporal Cloud or a secured self-hosted cluster TLS (server CA, server name), mTLS (client certificate and key) and
 * API keys. Each flag has an environment variable, for containers.
 */
public class Connection {
    @Option(names = "--temporal", defaultValue = "${env:CNF_TEMPORAL:-127.0.0.1:7233}",
            description = "Temporal frontend host:port (env CNF_TEMPORAL; default ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--namespace", defaultValue = "${env:CNF_NAMESPACE:-default}",
            description = "Temporal namespace (env CNF_NAMESPACE; default ${DEFAULT-VALUE})")
    String namespace;

    @Option(names = "--tls", negatable = true, defaultValue = "${env:CNF_TEMPORAL_TLS}",
            description = "connect with TLS (env CNF_TEMPORAL_TLS=true|false); on by itself when a CA, client certificate"
                    + " or API key is given, --no-tls turns it off")
    Boolean tls;

    @Option(names = "--tls-ca", defaultValue = "${env:CNF_TEMPORAL_TLS_CA}",
            description = "PEM file of the CA(s) that signed the server's certificate, instead of the system's trust store"
                    + " (env CNF_TEMPORAL_TLS_CA)")
    Path tlsCa;

    @Option(names = "--tls-cert", defaultValue = "${env:CNF_TEMPORAL_TLS_CERT}",
            description = "mTLS: PEM client certificate (chain), with --tls-key (env CNF_TEMPORAL_TLS_CERT)")
    Path tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:CNF_TEMPORAL_TLS_KEY}",
            description = "mTLS: PEM PKCS#8 private key of --tls-cert (env CNF_TEMPORAL_TLS_KEY)")
    Path tlsKey;

    @Option(names = "--tls-server-name", defaultValue = "${env:CNF_TEMPORAL_TLS_SERVER_NAME}",
            description = "name to verify in the server's certificate, when it differs from the host in --temporal"
                    + " (env CNF_TEMPORAL_TLS_SERVER_NAME)")
    String tlsServerName;

    @Option(names = "--api-key", defaultValue = "${env:CNF_TEMPORAL_API_KEY}",
            description = "API key, sent as a bearer token (Temporal Cloud); implies --tls (env CNF_TEMPORAL_API_KEY)")
    String apiKey;

    /** Every problem with the flags at once, before any connection is tried. */
    void validate() {
        List<String> problems = new ArrayList<>();
        if (!target.matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}")) {
            problems.add("--temporal '" + target + "' must be host:port, e.g. temporal-frontend:7233 or my-ns.a1b2c.tmprl.cloud:7233");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            problems.add("--tls-cert and --tls-key go together (mTLS needs the client certificate and its key)");
        }
        for (Path file : new Path[] {tlsCa, tlsCert, tlsKey}) {
            if (file != null && !Files.isReadable(file)) {
                problems.add("cannot read " + file + " (" + flagOf(file) + ")");
            }
        }
        if (apiKey != null && apiKey.isBlank()) {
            problems.add("--api-key is empty (unset CNF_TEMPORAL_API_KEY, or give the key)");
        }
        if (Boolean.FALSE.equals(tls) && (tlsCa != null || tlsCert != null || tlsServerName != null)) {
            problems.add("--no-tls contradicts --tls-ca/--tls-cert/--tls-server-name");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    private String flagOf(Path file) {
        return file == tlsCa ? "--tls-ca" : file == tlsCert ? "--tls-cert" : "--tls-key";
    }

    boolean usesTls() {
        return tls != null ? tls : tlsCa != null || tlsCert != null || tlsServerName != null || apiKey != null;
    }

    WorkflowServiceStubs connect() {
        return connect(null);
    }

    /** @param metrics where SDK metrics go (a worker's registry), or null for none */
    WorkflowServiceStubs connect(com.uber.m3.tally.Scope metrics) {
        validate();
        WorkflowServiceStubsOptions.Builder options = WorkflowServiceStubsOptions.newBuilder()
                .setTarget(target).setRpcTimeout(Duration.ofSeconds(10));
        if (usesTls()) {
            options.setSslContext(sslContext());
            if (tlsServerName != null) {
                options.setChannelInitializer(channel -> channel.overrideAuthority(tlsServerName));
            }
        }
        if (apiKey != null) {
            String key = apiKey;
            options.addApiKey(() -> key);
        }
        if (metrics != null) {
            options.setMetricsScope(metrics);
        }
        WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(options.build());
        try {
            service.healthCheck();
        } catch (RuntimeException e) {
            service.shutdownNow();
            if (refusedCredentials(e)) {
                throw e; // reached, but refused: bad flags (exit 2), not an unreachable server
            }
            throw new ConnectionFailed("cannot reach Temporal at " + target + (usesTls() ? " over TLS" : "") + ": "
                    + rootMessage(e) + hint(e));
        }
        return service;
    }

    private SslContext sslContext() {
        try {
            SimpleSslContextBuilder builder;
            if (tlsCert != null) {
                // read now: the builder reads its streams only in build()
                builder = SimpleSslContextBuilder.forPKCS8(new ByteArrayInputStream(Files.readAllBytes(tlsCert)),
                        new ByteArrayInputStream(Files.readAllBytes(tlsKey)));
            } else {
                builder = SimpleSslContextBuilder.noKeyOrCertChain();
            }
            if (tlsCa != null) {
                builder.setTrustManager(trustManager(tlsCa));
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use --tls-cert/--tls-key: " + rootMessage(e)
                    + " (the key must be PEM PKCS#8, '-----BEGIN PRIVATE KEY-----'; convert with openssl pkcs8 -topk8 -nocrypt)");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the TLS files: " + e.getMessage());
        }
    }

    private static TrustManager trustManager(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + n++, ca);
            }
            if (n == 0) {
                throw new IllegalArgumentException("--tls-ca " + caPem + " holds no PEM certificate");
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory.getTrustManagers()[0];
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read --tls-ca " + caPem + ": " + e.getMessage());
        }
    }

    private static boolean refusedCredentials(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof io.grpc.StatusRuntimeException grpc && (grpc.getStatus().getCode() == io.grpc.Status.Code.UNAUTHENTICATED
                    || grpc.getStatus().getCode() == io.grpc.Status.Code.PERMISSION_DENIED)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = firstLine(root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName());
        return root == e ? message : firstLine(e.getMessage()) + " (" + message + ")";
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.strip().lines().findFirst().orElse("");
    }

    /** What to try, for the failures people meet when securing a connection. */
    private String hint(Throwable e) {
        String all = rootMessage(e).toLowerCase(java.util.Locale.ROOT);
        if (all.contains("subject alternative name") || all.contains("no name matching")) {
            return " (the server's certificate does not name the host in --temporal: pass the name it holds with --tls-server-name)";
        }
        if (all.contains("certification path") || all.contains("pkix")) {
            return " (the server's certificate is not signed by a CA this client trusts: pass your CA with --tls-ca)";
        }
        if (all.contains("bad_certificate") || all.contains("certificate_required")) {
            return " (the server wants a client certificate it trusts: pass --tls-cert and --tls-key)";
        }
        if (all.contains("ssl") || all.contains("handshake") || all.contains("certificate")) {
            return " (TLS failed: check --tls-ca, --tls-server-name, and for mTLS --tls-cert/--tls-key)";
        }
        if (usesTls()) {
            return " (is the server speaking TLS on that port?)";
        }
        return " (start a server, or pass --temporal host:port; if the server expects TLS add --tls, and for Temporal Cloud"
                + " --api-key or --tls-cert/--tls-key)";
    }

    WorkflowClient client(WorkflowServiceStubs service) {
        return WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
    }

    /** Raised when a server is unreachable; maps to exit code 3. */
    static final class ConnectionFailed extends RuntimeException {
        ConnectionFailed(String message) {
            super(message);
        }
    }
}
