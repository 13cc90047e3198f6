package io.fairqueue.client.cli;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code fq workers list}: registered workers, online or not (WORKER sees its own, ADMIN all). */
@Command(name = "workers", description = "Registered workers.", mixinStandardHelpOptions = true)
final class WorkersCommand {

    @ParentCommand
    Fq fq;

    /** Lists workers. */
    @Command(name = "list", description = "List workers.")
    void list() {
        JsonArrayBuilder rows = Json.createArrayBuilder();
        fq.client().admin().workers().forEach(rows::add);
        fq.print(rows.build(), "id", "name", "ownerId", "capacity", "online", "lastHeartbeatAt", "queues");
    }
}
