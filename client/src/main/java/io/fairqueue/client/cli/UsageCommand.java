package io.fairqueue.client.cli;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code fq usage [--user U]}: quota used / limit / remaining per window (like Slurm's sshare). */
@Command(name = "usage", description = "Quota used, limit and remaining per window.", mixinStandardHelpOptions = true)
final class UsageCommand implements Runnable {

    @ParentCommand
    Fq fq;

    @Option(names = "--user", description = "Another user's usage (ADMIN).")
    String user;

    /** Prints the quota status: as received with -o json, one row per window in a table. */
    @Override
    public void run() {
        JsonObject status = fq.client().quotaStatus(user);
        if (fq.output != Output.Format.table) {
            fq.print(status);
            return;
        }
        JsonArrayBuilder rows = Json.createArrayBuilder();
        for (String window : new String[] {"day", "week", "month"}) {
            JsonObject w = status.getJsonObject(window);
            rows.add(Json.createObjectBuilder(w).add("window", window));
        }
        fq.out.println("user: " + status.getString("userId") + "  timezone: " + status.getString("timezone")
                + "  warning: " + status.getBoolean("warning") + "  exhausted: " + status.getBoolean("exhausted"));
        fq.print(rows.build(), "window", "usedSecs", "limitSecs", "remainingSecs", "resetsAt");
    }
}
