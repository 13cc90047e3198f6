package io.fairqueue.client.cli;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fq queue status|clear}: seed 002's {@code status} (pending by tier, active slots by user,
 * user locks with acquired/expires) and {@code clear [user]}.
 */
@Command(name = "queue", description = "The queue view; clear waiting jobs.", mixinStandardHelpOptions = true)
final class QueueCommand {

    @ParentCommand
    Fq fq;

    /** Prints the queue view (GET /queue). */
    @Command(name = "status", description = "Pending by tier, active slots by user, user locks, next jobs.")
    void status(
            @Option(names = "--queue", description = "One queue (default: every queue).") String queue,
            @Option(names = "--user", description = "One user's jobs.") String user,
            @Option(names = "--limit", defaultValue = "20", description = "Pending jobs to list (default 20).")
                    int limit) {
        JsonObject view = fq.client().queueView(queue, user, limit);
        if (fq.output != Output.Format.table) {
            fq.print(view);
            return;
        }
        JsonObject p = view.getJsonObject("pending");
        JsonObject a = view.getJsonObject("active");
        fq.out.printf(
                "pending: urgent %s, normal %s, background %s, total %s%n",
                p.get("urgent"), p.get("normal"), p.get("background"), p.get("total"));
        fq.out.printf(
                "active: %s of %s slots%n",
                a.get("slotsUsed"),
                a.containsKey("slotsMax") ? a.get("slotsMax").toString() : "unlimited");
        if (!a.getJsonArray("byUser").isEmpty()) {
            Output.print(
                    fq.out,
                    Output.Format.table,
                    a.getJsonArray("byUser"),
                    java.util.List.of("userId", "running", "maxConcurrent"));
        }
        fq.out.println("user locks: " + view.getJsonArray("userLocks").size());
        if (!view.getJsonArray("userLocks").isEmpty()) {
            Output.print(
                    fq.out,
                    Output.Format.table,
                    view.getJsonArray("userLocks"),
                    java.util.List.of("userId", "jobId", "queue", "acquiredAt", "expiresAt"));
        }
        if (view.containsKey("avgWaitSecs")) {
            fq.out.println("avg wait: " + view.get("avgWaitSecs") + " s");
        }
        if (!view.getJsonArray("jobs").isEmpty()) {
            fq.out.println("next:");
            Output.print(
                    fq.out,
                    Output.Format.table,
                    view.getJsonArray("jobs"),
                    java.util.List.of(
                            "position", "id", "userId", "priority", "type", "estimatedStartAt", "waitingReason"));
        }
        fq.out.flush();
    }

    /** Cancels the waiting jobs of a queue (destructive: --yes). */
    @Command(name = "clear", description = "Cancel the waiting jobs of a queue (needs --yes).")
    void clear(
            @Option(names = "--queue", defaultValue = "default", description = "The queue (default: default).")
                    String queue,
            @Option(names = "--user", description = "Only this user's jobs.") String user,
            @Option(names = "--yes", description = "Confirm.") boolean yes) {
        Fq.requireYes(yes, "clearing queue " + queue);
        int n = fq.client().clearQueue(queue, user);
        JsonObjectBuilder b = Json.createObjectBuilder().add("queue", queue).add("cancelled", n);
        if (user != null) {
            b.add("userId", user);
        }
        fq.print(b.build());
    }
}
