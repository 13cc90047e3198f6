package io.fairqueue.client.cli;

import io.fairqueue.client.FairQueueWorker;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fq work --queue Q --capacity N -- COMMAND ARGS...}: seed 002's daemon as a FairQueue
 * worker. Runs COMMAND once per claimed job ({@link CommandJob}) in up to N slots, heartbeats
 * while it runs, and on Ctrl-C or SIGTERM stops claiming, waits the grace period and hands back
 * what is still running, so nothing stays leased.
 */
@Command(name = "work", description = "Run a command for each claimed job (a worker).", mixinStandardHelpOptions = true)
final class WorkCommand implements Runnable {

    @ParentCommand
    Fq fq;

    @Option(names = "--queue", description = "Queue to take jobs from (repeatable; default all).")
    List<String> queues;

    @Option(names = "--capacity", defaultValue = "1", description = "Jobs at once (default 1).")
    int capacity;

    @Option(names = "--name", description = "Worker name (default fq-work@host).")
    String name;

    @Option(names = "--wait", defaultValue = "5", description = "Long-poll seconds while idle (default 5).")
    int wait;

    @Option(
            names = "--grace",
            defaultValue = "25",
            description = "Seconds to let running jobs finish on shutdown (default 25).")
    int grace;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments, after --.")
    List<String> command;

    /** Runs the worker until the process is told to stop. */
    @Override
    public void run() {
        String host = System.getenv().getOrDefault("HOSTNAME", "localhost");
        FairQueueWorker worker = FairQueueWorker.builder(fq.client())
                .name(name != null ? name : "fq-work@" + host)
                .queues(queues == null ? List.of() : queues)
                .slots(capacity)
                .longPollSeconds(wait)
                .grace(Duration.ofSeconds(grace))
                .handleOthers(new CommandJob(command))
                .build()
                .start();
        fq.err.println("fq work: worker " + worker.workerId() + " running " + String.join(" ", command) + " with "
                + capacity + " slots; Ctrl-C stops it");
        fq.err.flush();
        worker.awaitStopped();
    }
}
