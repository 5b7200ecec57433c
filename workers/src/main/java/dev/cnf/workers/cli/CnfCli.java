package dev.cnf.workers.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cnf} command. Exit codes: 0 success; 1 the workflow (or the requested operation, e.g. a
 * verified download) failed; 2 bad flags or input
 * (nothing was started); 3 a server could not be reached.
 */
@Command(name = "cnf", mixinStandardHelpOptions = true, version = "cnf 0.1.0",
        description = "ControlNet Factory: web images in, evaluated ControlNet out, orchestrated by Temporal.",
        subcommands = {DemoCommand.class, WorkerCommand.class, RunCommand.class, StatusCommand.class, PretrainCommand.class,
                ScheduleCommand.class, ControlCommands.Pause.class, ControlCommands.Resume.class, ControlCommands.Cancel.class, ControlCommands.Update.class,
                ModelCommand.class, ModelsCommand.class, GenerateCommand.class, StudyCommand.class, DatasetCommand.class, CommandLine.HelpCommand.class})
public final class CnfCli implements Runnable {
    public static final int EXIT_WORKFLOW_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_UNREACHABLE = 3;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new CnfCli());
        cl.setExpandAtFiles(false); // --input @run.json is ours to read: picocli would split the file into arguments
        for (String withInput : java.util.List.of("run", "demo")) {
            cl.getSubcommands().get(withInput).getCommandSpec().usageMessage().footer(InputFieldsHelp.footer());
        }
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Explained e = explain(ex);
            cmd.getErr().println("cnf: " + e.message());
            if (e.exitCode() == EXIT_WORKFLOW_FAILED && "1".equals(System.getenv("CNF_DEBUG"))) {
                ex.printStackTrace(cmd.getErr());
            }
            return e.exitCode();
        });
        return cl;
    }

    /** One line for people and the documented exit code; stack traces only with CNF_DEBUG=1. */
    record Explained(String message, int exitCode) {}

    static Explained explain(Throwable ex) {
        if (ex instanceof IllegalArgumentException) {
            return new Explained(ex.getMessage(), EXIT_USAGE);
        }
        if (ex instanceof Connection.ConnectionFailed) {
            return new Explained(ex.getMessage(), EXIT_UNREACHABLE);
        }
        for (Throwable c = ex; c != null; c = c.getCause()) {
            if (c instanceof io.temporal.client.WorkflowNotFoundException nf) {
                return new Explained("no such run: " + nf.getExecution().getWorkflowId() + " (check the workflow id and --namespace)", EXIT_USAGE);
            }
            if (c instanceof io.minio.errors.ErrorResponseException s3) {
                String code = s3.errorResponse().code();
                return switch (code) {
                    case "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied" -> new Explained("object storage refused the credentials ("
                            + code + "): check --s3-access-key and --s3-secret-key (or CNF_S3_ACCESS_KEY, CNF_S3_SECRET_KEY),"
                            + " or without them the AWS_* credentials", EXIT_USAGE);
                    case "NoSuchBucket" -> new Explained("no bucket " + s3.errorResponse().bucketName() + " at that endpoint: check --bucket", EXIT_USAGE);
                    default -> new Explained("object storage answered " + code + ": " + s3.errorResponse().message(), EXIT_WORKFLOW_FAILED);
                };
            }
            if (c instanceof java.net.ConnectException || c instanceof java.net.UnknownHostException
                    || c instanceof java.net.SocketTimeoutException) {
                return new Explained("cannot reach the server: " + c.getMessage(), EXIT_UNREACHABLE);
            }
            if (c instanceof io.grpc.StatusRuntimeException grpc && grpc.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
                return new Explained("no such run: " + grpc.getStatus().getDescription() + " (check the workflow id and --namespace)", EXIT_USAGE);
            }
            if (c instanceof io.grpc.StatusRuntimeException grpc && (grpc.getStatus().getCode() == io.grpc.Status.Code.UNAUTHENTICATED
                    || grpc.getStatus().getCode() == io.grpc.Status.Code.PERMISSION_DENIED)) {
                return new Explained("Temporal refused the credentials (" + grpc.getStatus().getCode() + ": " + grpc.getStatus().getDescription()
                        + "): check --api-key, --tls-cert/--tls-key and --namespace", EXIT_USAGE);
            }
            if (c instanceof io.grpc.StatusRuntimeException grpc && grpc.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE) {
                return new Explained("cannot reach Temporal: " + grpc.getStatus().getDescription(), EXIT_UNREACHABLE);
            }
        }
        return new Explained(ex + " (CNF_DEBUG=1 shows the stack trace)", EXIT_WORKFLOW_FAILED);
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true"); // native PyTorch comes from the jar; never download
        System.exit(commandLine().execute(args));
    }
}
