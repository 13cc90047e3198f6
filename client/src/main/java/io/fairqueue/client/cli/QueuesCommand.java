package io.fairqueue.client.cli;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code fq queues list|create|pause|resume}: named queues (seed 004). */
@Command(name = "queues", description = "Named queues.", mixinStandardHelpOptions = true)
final class QueuesCommand {

    private static final String[] COLUMNS = {
        "name", "paused", "maxConcurrent", "maxRetries", "retryBaseDelaySeconds", "leaseSeconds", "description"
    };

    @ParentCommand
    Fq fq;

    /** Lists every queue. */
    @Command(name = "list", description = "List queues.")
    void list() {
        JsonArrayBuilder rows = Json.createArrayBuilder();
        fq.client().admin().queues().forEach(rows::add);
        fq.print(rows.build(), COLUMNS);
    }

    /** Creates a queue (ADMIN). */
    @Command(name = "create", description = "Create a queue (ADMIN).")
    void create(
            @Parameters(paramLabel = "NAME") String name,
            @Option(names = "--description") String description,
            @Option(names = "--max-concurrent", description = "Running jobs at most (default unlimited).")
                    Integer maxConcurrent,
            @Option(names = "--max-retries") Integer maxRetries,
            @Option(names = "--retry-base-delay", description = "Seconds; doubled per attempt.") Integer retryBase,
            @Option(names = "--lease-seconds") Integer leaseSeconds) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("description", description);
        settings.put("maxConcurrent", maxConcurrent);
        settings.put("maxRetries", maxRetries);
        settings.put("retryBaseDelaySeconds", retryBase);
        settings.put("leaseSeconds", leaseSeconds);
        fq.print(fq.client().admin().createQueue(name, settings), COLUMNS);
    }

    /** Pauses a queue: its jobs are not claimed. */
    @Command(name = "pause", description = "Pause a queue (ADMIN).")
    void pause(@Parameters(paramLabel = "NAME") String name) {
        fq.print(fq.client().admin().pauseQueue(name), COLUMNS);
    }

    /** Resumes a paused queue. */
    @Command(name = "resume", description = "Resume a queue (ADMIN).")
    void resume(@Parameters(paramLabel = "NAME") String name) {
        fq.print(fq.client().admin().resumeQueue(name), COLUMNS);
    }
}
