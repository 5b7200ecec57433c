package dev.cnf.workers.cli;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import picocli.CommandLine.Option;

import java.time.Duration;

/** Temporal connection flags shared by the commands that talk to a running cluster. */
public class Connection {
    @Option(names = "--temporal", defaultValue = "${env:CNF_TEMPORAL:-127.0.0.1:7233}",
            description = "Temporal frontend host:port (env CNF_TEMPORAL; default ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--namespace", defaultValue = "${env:CNF_NAMESPACE:-default}",
            description = "Temporal namespace (env CNF_NAMESPACE; default ${DEFAULT-VALUE})")
    String namespace;

    void validate() {
        if (!target.matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}")) {
            throw new IllegalArgumentException("--temporal '" + target + "' must be host:port, e.g. temporal-frontend:7233");
        }
    }

    WorkflowServiceStubs connect() {
        return connect(null);
    }

    /** @param metrics where SDK metrics go (a worker's registry), or null for none */
    WorkflowServiceStubs connect(com.uber.m3.tally.Scope metrics) {
        validate();
        WorkflowServiceStubsOptions.Builder options = WorkflowServiceStubsOptions.newBuilder()
                .setTarget(target).setRpcTimeout(Duration.ofSeconds(10));
        if (metrics != null) {
            options.setMetricsScope(metrics);
        }
        WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(options.build());
        try {
            service.healthCheck();
        } catch (RuntimeException e) {
            service.shutdownNow();
            throw new ConnectionFailed("cannot reach Temporal at " + target + ": " + e.getMessage()
                    + " (start a server, or pass --temporal host:port)");
        }
        return service;
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
