package io.fairqueue.client.cli;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fq locks list|release|cleanup-stale}: seed 002's per-user locks (a user's running jobs).
 * {@code cleanup-stale} is seed 002's {@code cleanup_stale SECONDS}: the server has no such
 * endpoint, so the CLI lists the locks and releases, one by one, those acquired longer ago than
 * the given age ({@code DELETE /admin/locks/{user}?jobId=}, each audited as failed attempt).
 */
@Command(name = "locks", description = "Users' locks (their running jobs).", mixinStandardHelpOptions = true)
final class LocksCommand {

    private static final String[] COLUMNS = {"userId", "jobId", "queue", "workerId", "acquiredAt", "expiresAt"};

    @ParentCommand
    Fq fq;

    /** Lists every lock (ADMIN). */
    @Command(name = "list", description = "List locks with acquired and expiry times (ADMIN).")
    void list() {
        JsonArrayBuilder rows = Json.createArrayBuilder();
        fq.client().admin().locks().forEach(rows::add);
        fq.print(rows.build(), COLUMNS);
    }

    /** Releases a user's locks, or one job's (destructive: --yes). */
    @Command(name = "release", description = "Release a user's locks (needs --yes; ADMIN).")
    void release(
            @Parameters(paramLabel = "USER") String user,
            @Option(names = "--job", description = "Only this job's lock.") Long job,
            @Option(names = "--reason", description = "Why, kept in each job's transition.") String reason,
            @Option(names = "--yes", description = "Confirm.") boolean yes) {
        Fq.requireYes(yes, "releasing the locks of " + user);
        fq.print(fq.client().admin().releaseLocks(user, job, reason));
    }

    /** Releases every lock acquired more than --older-than seconds ago. */
    @Command(
            name = "cleanup-stale",
            description = "Release locks older than --older-than seconds (needs --yes; ADMIN).")
    void cleanupStale(
            @Option(names = "--older-than", required = true, description = "Age in seconds, e.g. 3600.") long seconds,
            @Option(names = "--dry-run", description = "Only list what would be released.") boolean dryRun,
            @Option(names = "--yes", description = "Confirm.") boolean yes) {
        if (!dryRun) {
            Fq.requireYes(yes, "releasing stale locks");
        }
        OffsetDateTime cutoff = OffsetDateTime.now().minus(Duration.ofSeconds(seconds));
        List<JsonObject> stale = fq.client().admin().locks().stream()
                .filter(l -> OffsetDateTime.parse(l.getString("acquiredAt")).isBefore(cutoff))
                .toList();
        JsonArrayBuilder rows = Json.createArrayBuilder();
        for (JsonObject lock : stale) {
            boolean released = false;
            if (!dryRun) {
                try {
                    fq.client()
                            .admin()
                            .releaseLocks(
                                    lock.getString("userId"),
                                    lock.getJsonNumber("jobId").longValue(),
                                    "stale: acquired more than " + seconds + " s ago");
                    released = true;
                } catch (io.fairqueue.client.Problems.NotFoundException gone) {
                    // finished meanwhile: nothing to release
                }
            }
            rows.add(Json.createObjectBuilder(lock).add("released", released));
        }
        fq.print(rows.build(), "userId", "jobId", "queue", "acquiredAt", "released");
    }
}
