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
                ModelCommand.class, ModelsCommand.class, CommandLine.HelpCommand.class})
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
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof IllegalArgumentException) {
                cmd.getErr().println("cnf: " + ex.getMessage());
                return EXIT_USAGE;
            }
            if (ex instanceof Connection.ConnectionFailed) {
                cmd.getErr().println("cnf: " + ex.getMessage());
                return EXIT_UNREACHABLE;
            }
            throw ex;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true"); // native PyTorch comes from the jar; never download
        System.exit(commandLine().execute(args));
    }
}
