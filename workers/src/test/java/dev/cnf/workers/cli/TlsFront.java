package dev.cnf.workers.cli;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.HandlerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;

import javax.net.ssl.SSLSession;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A TLS front for a plaintext Temporal frontend, as a load balancer or Temporal Cloud's edge is: it terminates TLS with
 * a certificate from a self-made CA, requires a client certificate (mTLS) and/or an API key when asked to, and passes
 * every unary gRPC call through to the real server as bytes. It records the bearer tokens and client certificates it
 * saw, so a test can tell what the client sent.
 */
final class TlsFront implements AutoCloseable {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    final List<String> bearerTokens = new CopyOnWriteArrayList<>();
    final List<String> clientSubjects = new CopyOnWriteArrayList<>();
    private final ManagedChannel upstream;
    private final Server server;

    /**
     * @param serverCert PEM certificate chain of the front, signed by the test CA
     * @param clientCa   when non-null, a client certificate signed by this CA is required (mTLS)
     * @param apiKey     when non-null, calls without {@code authorization: Bearer <apiKey>} are refused
     */
    TlsFront(String upstreamTarget, Path serverCert, Path serverKey, Path clientCa, String apiKey) throws IOException {
        upstream = ManagedChannelBuilder.forTarget(upstreamTarget).usePlaintext().build();
        SslContextBuilder tls = GrpcSslContexts.configure(SslContextBuilder.forServer(serverCert.toFile(), serverKey.toFile()), SslProvider.JDK);
        if (clientCa != null) {
            tls.trustManager(clientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
        }
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(tls.build())
                .fallbackHandlerRegistry(new PassThrough(apiKey))
                .build().start();
    }

    String target() {
        return "127.0.0.1:" + server.getPort();
    }

    private final class PassThrough extends HandlerRegistry {
        private final String apiKey;

        PassThrough(String apiKey) {
            this.apiKey = apiKey;
        }

        @Override
        public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
            MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(methodName)
                    .setRequestMarshaller(Bytes.INSTANCE).setResponseMarshaller(Bytes.INSTANCE).build();
            ServerCallHandler<byte[], byte[]> forward = ServerCalls.asyncUnaryCall(
                    (request, response) -> ClientCalls.asyncUnaryCall(upstream.newCall(method, CallOptions.DEFAULT), request, response));
            ServerServiceDefinition service = ServerServiceDefinition.builder(methodName.substring(0, methodName.lastIndexOf('/')))
                    .addMethod(method, forward).build();
            ServerServiceDefinition checked = ServerInterceptors.intercept(service, new Check(apiKey));
            return checked.getMethod(methodName);
        }
    }

    private final class Check implements ServerInterceptor {
        private final String apiKey;

        Check(String apiKey) {
            this.apiKey = apiKey;
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            try {
                if (session != null && session.getPeerCertificates().length > 0) {
                    clientSubjects.add(((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName());
                }
            } catch (javax.net.ssl.SSLPeerUnverifiedException noClientCertificate) {
                // plain TLS: nothing to record
            }
            String authorization = headers.get(AUTHORIZATION);
            if (authorization != null) {
                bearerTokens.add(authorization);
            }
            if (apiKey != null && !("Bearer " + apiKey).equals(authorization)) {
                call.close(Status.UNAUTHENTICATED.withDescription("API key missing or wrong"), new Metadata());
                return new ServerCall.Listener<>() {};
            }
            return next.startCall(call, headers);
        }
    }

    private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A CA, a server certificate for {@code serverName} and a client certificate, made with openssl (EC P-256, PKCS#8 keys). */
    static final class SelfMadeCa {
        final Path ca;
        final Path serverCert;
        final Path serverKey;
        final Path clientCert;
        final Path clientKey;

        SelfMadeCa(Path dir, String serverName) throws Exception {
            Files.createDirectories(dir);
            ca = dir.resolve("ca.pem");
            serverCert = dir.resolve("server.pem");
            serverKey = dir.resolve("server-key.pem");
            clientCert = dir.resolve("client.pem");
            clientKey = dir.resolve("client-key.pem");
            Path caKey = dir.resolve("ca-key.pem");
            openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", caKey.toString());
            openssl(dir, "req", "-x509", "-new", "-key", caKey.toString(), "-subj", "/CN=cnf test CA", "-days", "2",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", ca.toString());
            issue(dir, caKey, serverKey, serverCert, "/CN=" + serverName, "subjectAltName=DNS:" + serverName + "\nextendedKeyUsage=serverAuth");
            issue(dir, caKey, clientKey, clientCert, "/CN=cnf-worker", "extendedKeyUsage=clientAuth");
        }

        private void issue(Path dir, Path caKey, Path key, Path cert, String subject, String extensions) throws Exception {
            Path csr = dir.resolve(cert.getFileName() + ".csr");
            Path ext = dir.resolve(cert.getFileName() + ".ext");
            Files.writeString(ext, extensions + "\n");
            openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
            openssl(dir, "req", "-new", "-key", key.toString(), "-subj", subject, "-out", csr.toString());
            openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                    "-CAcreateserial", "-days", "2", "-extfile", ext.toString(), "-out", cert.toString());
        }

        private static void openssl(Path dir, String... args) throws Exception {
            List<String> command = new java.util.ArrayList<>(List.of("openssl"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        upstream.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
}
