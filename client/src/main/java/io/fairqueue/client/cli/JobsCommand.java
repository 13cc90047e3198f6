package io.fairqueue.client.cli;

import io.fairqueue.client.FairQueueClient.JobQuery;
import io.fairqueue.client.Job;
import io.fairqueue.client.Submission;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fq jobs submit|get|list|cancel|pause|resume|retry|transitions|why}: one job's life from
 * the command line (seed 002's {@code enqueue} is {@code fq jobs submit}).
 */
@Command(name = "jobs", description = "Submit, inspect and act on jobs.", mixinStandardHelpOptions = true)
final class JobsCommand {

    private static final String[] COLUMNS = {
        "id", "queue", "userId", "type", "status", "priority", "attempts", "createdAt"
    };

    @ParentCommand
    Fq fq;

    /** Submits one job; prints it with its position. */
    @Command(name = "submit", description = "Submit a job.")
    void submit(
            @Option(names = "--type", required = true, description = "Job type (the worker's handler).") String type,
            @Option(names = "--payload", description = "Payload as JSON text.") String payload,
            @Option(names = "--payload-file", description = "Payload from a JSON file ('-' = stdin).")
                    String payloadFile,
            @Option(names = "--queue", description = "Queue (default: default).") String queue,
            @Option(names = "--priority", description = "-100..100 or URGENT, NORMAL, BACKGROUND.") String priority,
            @Option(names = "--at", description = "Scheduled start, ISO-8601 with offset.") String at,
            @Option(names = "--off-peak", description = "Only inside an off-peak window.") boolean offPeak,
            @Option(names = "--max-retries", description = "Retries after the first attempt.") Integer maxRetries,
            @Option(names = "--project", description = "Project id.") String project,
            @Option(names = "--user", description = "Submit for this user (ADMIN).") String user,
            @Option(names = "--key", description = "Idempotency key: a repeat creates nothing.") String key) {
        Submission s =
                Submission.of(type).queue(queue).project(project).user(user).idempotencyKey(key);
        if (payload != null && payloadFile != null) {
            throw new Fq.UsageError("give --payload or --payload-file, not both");
        }
        if (payload != null) {
            s.payload(parse(new StringReader(payload), "--payload"));
        } else if (payloadFile != null) {
            s.payload(readFile(payloadFile));
        }
        if (priority != null) {
            try {
                s.priority(Integer.parseInt(priority));
            } catch (NumberFormatException e) {
                try {
                    s.tier(Submission.Tier.valueOf(priority.toUpperCase()));
                } catch (IllegalArgumentException bad) {
                    throw new Fq.UsageError("--priority: a number in -100..100 or URGENT, NORMAL, BACKGROUND");
                }
            }
        }
        if (at != null) {
            try {
                s.scheduledStartAt(OffsetDateTime.parse(at));
            } catch (DateTimeParseException e) {
                throw new Fq.UsageError("--at: ISO-8601 with offset, e.g. 2026-01-31T22:00:00Z");
            }
        }
        if (offPeak) {
            s.offPeakOnly(true);
        }
        if (maxRetries != null) {
            s.maxRetries(maxRetries);
        }
        Job job = fq.client().submit(s);
        fq.print(
                job.json(),
                "id",
                "status",
                "queue",
                "priority",
                "position",
                "userPosition",
                "estimatedStartAt",
                "waitingReason");
    }

    /** Prints one job. */
    @Command(name = "get", description = "Show a job.")
    void get(@Parameters(paramLabel = "ID") long id) {
        fq.print(fq.client().get(id).json());
    }

    /** Lists jobs, newest first, following pages up to --limit. */
    @Command(name = "list", description = "List jobs, newest first.")
    void list(
            @Option(names = "--status") String status,
            @Option(names = "--queue") String queue,
            @Option(names = "--user") String user,
            @Option(names = "--limit", defaultValue = "50", description = "Most jobs to show (default 50).")
                    int limit) {
        JsonArrayBuilder rows = Json.createArrayBuilder();
        fq.client()
                .list(new JobQuery(status, queue, user, Math.max(1, Math.min(limit, 500))))
                .limit(Math.max(0, limit))
                .forEach(j -> rows.add(j.json()));
        fq.print(rows.build(), COLUMNS);
    }

    /** Cancels a job (destructive: --yes). */
    @Command(name = "cancel", description = "Cancel a job (needs --yes).")
    void cancel(
            @Parameters(paramLabel = "ID") long id,
            @Option(names = "--reason", description = "Recorded in the audit log.") String reason,
            @Option(names = "--yes", description = "Confirm.") boolean yes) {
        Fq.requireYes(yes, "cancelling job " + id);
        fq.print(fq.client().cancel(id, reason).json(), COLUMNS);
    }

    /** Pauses a job; a running one is stopped by its worker within a heartbeat. */
    @Command(name = "pause", description = "Pause a job.")
    void pause(@Parameters(paramLabel = "ID") long id, @Option(names = "--reason") String reason) {
        fq.print(fq.client().pause(id, reason).json(), COLUMNS);
    }

    /** Resumes a paused job. */
    @Command(name = "resume", description = "Resume a paused job.")
    void resume(@Parameters(paramLabel = "ID") long id) {
        fq.print(fq.client().resume(id).json(), COLUMNS);
    }

    /** Retries a FAILED job as a new job. */
    @Command(name = "retry", description = "Retry a dead-lettered job as a new job.")
    void retry(@Parameters(paramLabel = "ID") long id) {
        fq.print(fq.client().retry(id).json(), "id", "retryOf", "status", "queue", "type", "userId");
    }

    /** Prints the job's audit log. */
    @Command(name = "transitions", description = "A job's audit log, oldest first.")
    void transitions(@Parameters(paramLabel = "ID") long id) {
        JsonArrayBuilder rows = Json.createArrayBuilder();
        fq.client().transitions(id).forEach(rows::add);
        fq.print(rows.build(), "at", "from", "to", "triggeredBy", "reason");
    }

    /** Every reason the job waits, its position, userPosition and ETA. */
    @Command(name = "why", description = "Why a job waits: every reason, position, ETA.")
    void why(@Parameters(paramLabel = "ID") long id) {
        Job job = fq.client().get(id);
        JsonObjectBuilder b = Json.createObjectBuilder().add("id", job.id()).add("status", job.status());
        JsonArrayBuilder reasons = Json.createArrayBuilder();
        job.waitingReasons().forEach(reasons::add);
        b.add("waiting", !job.waitingReasons().isEmpty()).add("waitingReasons", reasons);
        job.position().ifPresent(p -> b.add("position", p));
        job.userPosition().ifPresent(p -> b.add("userPosition", p));
        job.estimatedStartAt().ifPresent(t -> b.add("estimatedStartAt", t.toString()));
        fq.print(b.build());
    }

    private static JsonValue readFile(String file) {
        try (Reader r = file.equals("-")
                ? new InputStreamReader(System.in, StandardCharsets.UTF_8)
                : Files.newBufferedReader(Path.of(file))) {
            return parse(r, "--payload-file");
        } catch (IOException e) {
            throw new Fq.UsageError("--payload-file: " + e.getMessage());
        }
    }

    private static JsonValue parse(Reader text, String option) {
        try (JsonReader r = Json.createReader(text)) {
            return r.readValue();
        } catch (JsonParsingException e) {
            throw new Fq.UsageError(option + ": not JSON (" + e.getMessage() + ")");
        }
    }
}
