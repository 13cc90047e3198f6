package io.fairqueue.client.cli;

import io.fairqueue.client.Job;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import java.util.List;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fq dead-letter list|retry}: FAILED jobs, and retrying them as new jobs. {@code retry}
 * filters client-side (queue, type, user, error text, ids) over the dead letters the server
 * lists, newest first, and retries each match ({@code POST /jobs/{id}/retry}).
 */
@Command(name = "dead-letter", description = "FAILED jobs; retry them.", mixinStandardHelpOptions = true)
final class DeadLetterCommand {

    private static final String[] COLUMNS = {"id", "queue", "userId", "type", "attempts", "finishedAt", "lastError"};

    @ParentCommand
    Fq fq;

    /** Lists dead letters, newest failure first. */
    @Command(name = "list", description = "List FAILED jobs, newest first.")
    void list(
            @Option(names = "--queue") String queue,
            @Option(names = "--limit", defaultValue = "100", description = "1..500 (default 100).") int limit) {
        JsonArrayBuilder rows = Json.createArrayBuilder();
        fq.client().deadLetters(queue, limit).forEach(j -> rows.add(j.json()));
        fq.print(rows.build(), COLUMNS);
    }

    /** Retries the dead letters that match every filter given; at least one filter or --all. */
    @Command(name = "retry", description = "Retry matching FAILED jobs as new jobs.")
    void retry(
            @Option(names = "--queue") String queue,
            @Option(names = "--type") String type,
            @Option(names = "--user") String user,
            @Option(names = "--error-contains", description = "Only jobs whose lastError contains this.") String error,
            @Option(names = "--id", split = ",", description = "Only these job ids.") List<Long> ids,
            @Option(names = "--all", description = "Retry every dead letter (no filter).") boolean all,
            @Option(names = "--limit", defaultValue = "500", description = "Dead letters to look at (1..500).")
                    int limit,
            @Option(names = "--dry-run", description = "Only list what would be retried.") boolean dryRun) {
        boolean filtered = type != null || user != null || error != null || ids != null || queue != null;
        if (!filtered && !all) {
            throw new Fq.UsageError("give a filter (--queue, --type, --user, --error-contains, --id) or --all");
        }
        Predicate<Job> match = j -> (type == null || j.type().equals(type))
                && (user == null || j.userId().equals(user))
                && (error == null || j.lastError().orElse("").contains(error))
                && (ids == null || ids.contains(j.id()));
        JsonArrayBuilder rows = Json.createArrayBuilder();
        for (Job failed :
                fq.client().deadLetters(queue, limit).stream().filter(match).toList()) {
            var row = Json.createObjectBuilder()
                    .add("failedId", failed.id())
                    .add("queue", failed.queue())
                    .add("type", failed.type())
                    .add("userId", failed.userId());
            if (!dryRun) {
                row.add("newId", fq.client().retry(failed.id()).id());
            }
            rows.add(row);
        }
        fq.print(rows.build(), "failedId", "newId", "queue", "type", "userId");
    }
}
