package io.fairqueue.client;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.util.List;
import java.util.Map;

/**
 * Administration calls: queues, users, per-user locks, workers, settings. Most need an ADMIN
 * token (a VIEWER may read); a WORKER may register and list its own workers. Every call maps to
 * one documented endpoint of openapi.yaml.
 */
public final class Admin {

    private final Http http;

    Admin(Http http) {
        this.http = http;
    }

    /** Every queue, by name. */
    public List<JsonObject> queues() {
        return http.get("/queues", null).asJsonArray().getValuesAs(JsonObject.class);
    }

    /** One queue's settings. */
    public JsonObject queue(String name) {
        return http.get("/queues/" + Http.segment(name), null).asJsonObject();
    }

    /** One queue's statistics (counts, dead letters, mean wait and run time). */
    public JsonObject queueStats(String name) {
        return http.get("/queues/" + Http.segment(name) + "/stats", null).asJsonObject();
    }

    /**
     * Creates a queue. {@code settings} may hold {@code description}, {@code maxConcurrent},
     * {@code maxRetries}, {@code retryBaseDelaySeconds}, {@code leaseSeconds}; null values are left out.
     */
    public JsonObject createQueue(String name, Map<String, ?> settings) {
        JsonObjectBuilder b = Json.createObjectBuilder().add("name", name);
        settings.forEach((k, v) -> {
            if (v instanceof Number n) {
                b.add(k, n.longValue());
            } else if (v != null) {
                b.add(k, v.toString());
            }
        });
        return http.post("/queues", b.build(), Map.of(), false).object();
    }

    /** Pauses a queue: its jobs are not claimed until it is resumed. */
    public JsonObject pauseQueue(String name) {
        return http.post("/queues/" + Http.segment(name) + "/pause", null, Map.of(), false)
                .object();
    }

    /** Resumes a paused queue. */
    public JsonObject resumeQueue(String name) {
        return http.post("/queues/" + Http.segment(name) + "/resume", null, Map.of(), false)
                .object();
    }

    /** Every user's locks (running jobs) with acquiredAt / expiresAt. */
    public List<JsonObject> locks() {
        return http.get("/admin/locks", null).asJsonArray().getValuesAs(JsonObject.class);
    }

    /**
     * Ends the running attempts of {@code userId} (only {@code jobId}'s when not null) as failed,
     * freeing the user's slot; answers {@code {userId, jobIds}}.
     */
    public JsonObject releaseLocks(String userId, Long jobId) {
        return releaseLocks(userId, jobId, null);
    }

    /** As {@link #releaseLocks(String, Long)}, with a reason kept in each job's transition (null: none). */
    public JsonObject releaseLocks(String userId, Long jobId, String reason) {
        return http.delete(
                        "/admin/locks/" + Http.segment(userId), FairQueueClient.query("jobId", jobId, "reason", reason))
                .asJsonObject();
    }

    /** Registered workers (an ADMIN sees all, a WORKER its own). */
    public List<JsonObject> workers() {
        return http.get("/workers", null).asJsonArray().getValuesAs(JsonObject.class);
    }

    /** Registers a worker of the caller's account; answers the worker (its {@code id} is a UUID). */
    public JsonObject registerWorker(String name, int capacity, List<String> queues) {
        JsonObjectBuilder b = Json.createObjectBuilder().add("name", name).add("capacity", capacity);
        if (queues != null && !queues.isEmpty()) {
            b.add("queues", Json.createArrayBuilder(queues));
        }
        return http.post("/workers", b.build(), Map.of(), false).object();
    }

    /**
     * Creates a user; answers {@code {user, token, tokenId}}: the token is shown this once, so
     * hand it to its owner and do not log it.
     */
    public JsonObject createUser(String id, String displayName, String role, Integer maxConcurrent) {
        JsonObjectBuilder b = Json.createObjectBuilder()
                .add("id", id)
                .add("displayName", displayName)
                .add("role", role);
        if (maxConcurrent != null) {
            b.add("maxConcurrent", maxConcurrent);
        }
        return http.post("/admin/users", b.build(), Map.of(), false).object();
    }

    /** The scheduling settings (per-user serialization, global slots). */
    public JsonObject settings() {
        return http.get("/admin/settings", null).asJsonObject();
    }

    /** Changes the scheduling settings (absent members stay). */
    public JsonObject updateSettings(JsonObject update) {
        return http.put("/admin/settings", update).asJsonObject();
    }

    /** Sets a user's daily and weekly quota in seconds (null = unlimited). */
    public JsonObject setUserQuota(String userId, Long dailyLimitSecs, Long weeklyLimitSecs) {
        JsonObjectBuilder b = Json.createObjectBuilder();
        b.add("dailyLimitSecs", dailyLimitSecs == null ? JsonValue.NULL : Json.createValue(dailyLimitSecs));
        b.add("weeklyLimitSecs", weeklyLimitSecs == null ? JsonValue.NULL : Json.createValue(weeklyLimitSecs));
        return http.put("/admin/users/" + Http.segment(userId) + "/quota", b.build())
                .asJsonObject();
    }
}
