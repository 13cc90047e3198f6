package io.fairqueue.client;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;

/**
 * One job to submit ({@code SubmitJob} in openapi.yaml), built fluently:
 * {@code Submission.of("render").payload(p).tier(Tier.URGENT).idempotencyKey("render-42")}. The
 * payload may be a {@link JsonValue} or any object JSON-B can write (a record, a map).
 */
public final class Submission {

    /** A priority tier (URGENT = 10, NORMAL = 0, BACKGROUND = -10). */
    public enum Tier {
        URGENT,
        NORMAL,
        BACKGROUND
    }

    private final String type;
    private Object payload;
    private String queue;
    private Integer priority;
    private Tier tier;
    private OffsetDateTime scheduledStartAt;
    private Boolean offPeakOnly;
    private Integer maxRetries;
    private String projectId;
    private String userId;
    private String idempotencyKey;

    private Submission(String type) {
        this.type = type;
    }

    /** A job of {@code type} (what the worker's handler is registered under). */
    public static Submission of(String type) {
        return new Submission(type);
    }

    /** The payload: a JsonValue, a record, a map, ... (JSON-B writes it). */
    public Submission payload(Object payload) {
        this.payload = payload;
        return this;
    }

    /** The queue (default {@code default}). */
    public Submission queue(String queue) {
        this.queue = queue;
        return this;
    }

    /** A numeric priority in -100..100 (higher first). */
    public Submission priority(int priority) {
        this.priority = priority;
        this.tier = null;
        return this;
    }

    /** A tier instead of a number. */
    public Submission tier(Tier tier) {
        this.tier = tier;
        this.priority = null;
        return this;
    }

    /** Not before this time: the job waits SCHEDULED until then. */
    public Submission scheduledStartAt(OffsetDateTime at) {
        this.scheduledStartAt = at;
        return this;
    }

    /** Only inside an enabled off-peak window. */
    public Submission offPeakOnly(boolean offPeakOnly) {
        this.offPeakOnly = offPeakOnly;
        return this;
    }

    /** Retries after the first attempt (default: the queue's). */
    public Submission maxRetries(int maxRetries) {
        this.maxRetries = maxRetries;
        return this;
    }

    /** The project the job's run time counts against. */
    public Submission project(String projectId) {
        this.projectId = projectId;
        return this;
    }

    /** Submit for another user (ADMIN only). */
    public Submission user(String userId) {
        this.userId = userId;
        return this;
    }

    /**
     * Makes the submit idempotent: a repeat with the same key (same owner) answers the first job
     * and creates nothing, which is also what lets the client retry it safely after a failure.
     */
    public Submission idempotencyKey(String key) {
        this.idempotencyKey = key;
        return this;
    }

    /** The key, or null. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** The request body; {@code withKey} puts the key in the body (batch items). */
    JsonObject toJson(JsonCodec codec, boolean withKey) {
        JsonObjectBuilder b = Json.createObjectBuilder().add("type", type);
        if (payload != null) {
            b.add("payload", codec.toJsonValue(payload));
        }
        if (queue != null) {
            b.add("queue", queue);
        }
        if (priority != null) {
            b.add("priority", priority);
        } else if (tier != null) {
            b.add("priority", tier.name());
        }
        if (scheduledStartAt != null) {
            b.add("scheduledStartAt", scheduledStartAt.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        }
        if (offPeakOnly != null) {
            b.add("offPeakOnly", offPeakOnly);
        }
        if (maxRetries != null) {
            b.add("maxRetries", maxRetries);
        }
        if (projectId != null) {
            b.add("projectId", projectId);
        }
        if (userId != null) {
            b.add("userId", userId);
        }
        if (withKey && idempotencyKey != null) {
            b.add("idempotencyKey", idempotencyKey);
        }
        return b.build();
    }
}
