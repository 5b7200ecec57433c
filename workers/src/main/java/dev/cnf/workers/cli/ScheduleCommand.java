package dev.cnf.workers.cli;

import dev.cnf.workflows.TaskQueues;
import dev.cnf.workflows.pipeline.PipelineInput;
import dev.cnf.workflows.pipeline.PipelineWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleListDescription;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.serviceclient.WorkflowServiceStubs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Scheduled retraining with Temporal Schedules. Temporal's Java test server (the embedded mode) has
 * no Schedules API; there the same command starts a cron workflow {@code schedule-<id>} instead and
 * says so.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true, description = "Create, list and delete scheduled pipeline runs.",
        subcommands = {ScheduleCommand.Create.class, ScheduleCommand.Ls.class, ScheduleCommand.Trigger.class, ScheduleCommand.Delete.class})
public final class ScheduleCommand implements Runnable {
    static final String CRON_FALLBACK_PREFIX = "schedule-";

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** True when the server answered that it has no such API (UNIMPLEMENTED), anywhere in the cause chain. */
    static boolean unimplemented(Throwable e) {
        return answered(e, Status.Code.UNIMPLEMENTED);
    }

    static boolean answered(Throwable e, Status.Code code) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s && s.getStatus().getCode() == code) {
                return true;
            }
        }
        return false;
    }

    static ScheduleClient schedules(WorkflowServiceStubs service, Connection connection) {
        return ScheduleClient.newInstance(service, ScheduleClientOptions.newBuilder().setNamespace(connection.namespace).build());
    }

    /** Five cron fields (minute hour day-of-month month day-of-week) or an @-shortcut. */
    static String checkCron(String cron) {
        String c = cron == null ? "" : cron.trim();
        boolean shortcut = c.matches("@(yearly|annually|monthly|weekly|daily|hourly)");
        boolean fields = c.matches("([0-9*/,\\-A-Za-z?]+\\s+){4}[0-9*/,\\-A-Za-z?]+");
        if (!shortcut && !fields) {
            throw new IllegalArgumentException("--cron '" + cron + "' must have five fields (minute hour day month weekday), "
                    + "e.g. \"0 3 * * 1\" for Mondays 03:00 UTC, or be @daily/@weekly/@monthly/@hourly");
        }
        return c;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Start the pipeline on a cron schedule (UTC) with the given input; each run goes through the promotion gate.")
    static final class Create implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Mixin
        InputOptions inputOptions;

        @Parameters(index = "0", paramLabel = "SCHEDULE_ID")
        String scheduleId;

        @Option(names = "--cron", required = true, description = "cron expression in UTC, e.g. \"0 3 * * 1\"")
        String cron;

        @Option(names = "--task-queue", defaultValue = "${env:CNF_TASK_QUEUE:-" + TaskQueues.CPU + "}",
                description = "CPU task queue of the scheduled runs (env CNF_TASK_QUEUE; default ${DEFAULT-VALUE})")
        String taskQueue;

        @Override
        public Integer call() throws Exception {
            String spec = checkCron(cron);
            if (!scheduleId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
                throw new IllegalArgumentException("schedule id '" + scheduleId + "': use letters, digits, '.', '_' or '-'");
            }
            PipelineInput input = RunCommand.checkAll(inputOptions, connection, taskQueue);
            WorkflowServiceStubs service = connection.connect();
            try {
                WorkflowOptions runs = WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId("cnf-" + scheduleId).build();
                try {
                    schedules(service, connection).createSchedule(scheduleId, Schedule.newBuilder()
                            .setAction(ScheduleActionStartWorkflow.newBuilder().setWorkflowType(PipelineWorkflow.class)
                                    .setOptions(runs).setArguments(input).build())
                            .setSpec(ScheduleSpec.newBuilder().setCronExpressions(List.of(spec)).build())
                            .build(), ScheduleOptions.newBuilder().build());
                    System.out.println("schedule " + scheduleId + " created: " + spec + " (UTC), model " + input.name());
                } catch (RuntimeException e) {
                    if (!unimplemented(e)) {
                        throw e;
                    }
                    WorkflowClient client = connection.client(service);
                    PipelineWorkflow wf = client.newWorkflowStub(PipelineWorkflow.class, WorkflowOptions.newBuilder()
                            .setTaskQueue(taskQueue).setWorkflowId(CRON_FALLBACK_PREFIX + scheduleId).setCronSchedule(spec).build());
                    try {
                        WorkflowClient.start(wf::run, input);
                    } catch (WorkflowExecutionAlreadyStarted exists) {
                        throw new IllegalArgumentException("schedule " + scheduleId + " already exists (cron workflow "
                                + CRON_FALLBACK_PREFIX + scheduleId + ")");
                    }
                    System.out.println("this server has no Schedules API (Temporal's Java test server); started cron workflow "
                            + CRON_FALLBACK_PREFIX + scheduleId + " on " + spec + " (UTC) instead");
                }
                return 0;
            } finally {
                service.shutdownNow();
            }
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List schedules with their next run times.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Override
        public Integer call() throws Exception {
            WorkflowServiceStubs service = connection.connect();
            try {
                List<ScheduleListDescription> all = schedules(service, connection).listSchedules().collect(Collectors.toList());
                System.out.printf("%-32s %s%n", "SCHEDULE", "NEXT RUNS (UTC)");
                for (ScheduleListDescription d : all) {
                    System.out.printf("%-32s %s%n", d.getScheduleId(), d.getInfo().getNextActionTimes());
                }
                return 0;
            } catch (RuntimeException e) {
                if (!unimplemented(e)) {
                    throw e;
                }
                System.out.println("this server has no Schedules API (Temporal's Java test server); schedules made here are cron "
                        + "workflows named " + CRON_FALLBACK_PREFIX + "<id>: see them with `cnf status " + CRON_FALLBACK_PREFIX + "<id>`");
                return 0;
            } finally {
                service.shutdownNow();
            }
        }
    }

    @Command(name = "trigger", mixinStandardHelpOptions = true, description = "Start a schedule's run now, besides its cron times.")
    static final class Trigger implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "SCHEDULE_ID")
        String scheduleId;

        @Override
        public Integer call() throws Exception {
            WorkflowServiceStubs service = connection.connect();
            try {
                schedules(service, connection).getHandle(scheduleId).trigger();
                System.out.println("schedule " + scheduleId + " triggered: its run starts now");
                return 0;
            } catch (RuntimeException e) {
                if (answered(e, Status.Code.NOT_FOUND)) {
                    throw new IllegalArgumentException("no schedule " + scheduleId + "; `cnf schedule ls` lists them");
                }
                if (!unimplemented(e)) {
                    throw e;
                }
                throw new IllegalArgumentException("this server has no Schedules API (Temporal's Java test server); a cron workflow "
                        + CRON_FALLBACK_PREFIX + scheduleId + " runs only at its cron times");
            } finally {
                service.shutdownNow();
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a schedule (runs already started go on).")
    static final class Delete implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "SCHEDULE_ID")
        String scheduleId;

        @Override
        public Integer call() throws Exception {
            WorkflowServiceStubs service = connection.connect();
            try {
                try {
                    schedules(service, connection).getHandle(scheduleId).delete();
                    System.out.println("schedule " + scheduleId + " deleted");
                } catch (RuntimeException e) {
                    if (!unimplemented(e)) {
                        throw e;
                    }
                    try {
                        connection.client(service).newUntypedWorkflowStub(CRON_FALLBACK_PREFIX + scheduleId)
                                .terminate("schedule deleted with cnf schedule delete");
                    } catch (WorkflowNotFoundException missing) {
                        throw new IllegalArgumentException("no schedule " + scheduleId + " (no cron workflow " + CRON_FALLBACK_PREFIX + scheduleId + ")");
                    }
                    System.out.println("cron workflow " + CRON_FALLBACK_PREFIX + scheduleId + " terminated (this server has no Schedules API)");
                }
                return 0;
            } finally {
                service.shutdownNow();
            }
        }
    }
}
