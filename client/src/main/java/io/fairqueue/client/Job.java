package io.fairqueue.client;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * A job as the API shows it ({@code Job} in openapi.yaml). The members every answer carries are
 * plain fields; the others are {@link Optional}. {@link #json()} keeps the whole document (the CLI
 * prints it as received).
 */
public record Job(
        long id,
        String queue,
        String userId,
        String type,
        String status,
        int priority,
        String tier,
        int attempts,
        int maxRetries,
        JsonObject json) {

    /** Reads a job document. */
    public static Job of(JsonObject o) {
        return new Job(
                o.getJsonNumber("id").longValue(),
                o.getString("queue"),
                o.getString("userId"),
                o.getString("type"),
                o.getString("status"),
                o.getInt("priority"),
                o.getString("tier"),
                o.getInt("attempts"),
                o.getInt("maxRetries"),
                o);
    }

    /** The submitted payload; absent when none was submitted. */
    public Optional<JsonValue> payload() {
        return Optional.ofNullable(json.get("payload"));
    }

    /** The worker's result; absent unless completed with one. */
    public Optional<JsonValue> result() {
        return Optional.ofNullable(json.get("result"));
    }

    /** The latest failed attempt's error. */
    public Optional<String> lastError() {
        return text("lastError");
    }

    /** The job's project. */
    public Optional<String> projectId() {
        return text("projectId");
    }

    /** 1 + PENDING jobs ahead (PENDING jobs, single-job answers only). */
    public Optional<Long> position() {
        return number("position");
    }

    /** The same among the owner's own jobs. */
    public Optional<Long> userPosition() {
        return number("userPosition");
    }

    /** The FAILED job this one retries. */
    public Optional<Long> retryOf() {
        return number("retryOf");
    }

    /** The estimated start (PENDING), the scheduled start, or the next retry. */
    public Optional<OffsetDateTime> estimatedStartAt() {
        return text("estimatedStartAt").map(OffsetDateTime::parse);
    }

    /** Every rule that holds the job back, in the order the claim checks them (waiting jobs only). */
    public List<String> waitingReasons() {
        return json.containsKey("waitingReasons")
                ? json.getJsonArray("waitingReasons").getValuesAs(JsonString.class).stream()
                        .map(JsonString::getString)
                        .toList()
                : List.of();
    }

    /** Whether the job reached COMPLETED, FAILED or CANCELLED. */
    public boolean isTerminal() {
        return status.equals("COMPLETED") || status.equals("FAILED") || status.equals("CANCELLED");
    }

    private Optional<String> text(String name) {
        return json.get(name) instanceof JsonString s ? Optional.of(s.getString()) : Optional.empty();
    }

    private Optional<Long> number(String name) {
        return json.get(name) instanceof JsonNumber n ? Optional.of(n.longValue()) : Optional.empty();
    }
}
