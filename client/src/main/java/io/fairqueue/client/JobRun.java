package io.fairqueue.client;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.ScheduledFuture;

/**
 * One claimed job inside a worker, from the claim until its outcome is acknowledged: its lease
 * token, its handler thread, its heartbeat schedule and the local deadline of its lease.
 *
 * <p>States: {@code RUNNING} (the handler works; holds a slot), {@code FINISHED} (the outcome
 * waits to be reported; the slot is free but the heartbeat goes on so the lease cannot lapse
 * while the report is delayed, say by a server restart), {@code DONE} (reported or dropped).
 */
final class JobRun {

    enum State {
        RUNNING,
        FINISHED,
        DONE
    }

    /** One attempt's outcome, carried by the next claim ({@code complete} / {@code fail} items). */
    record Outcome(long id, String leaseToken, boolean success, JsonValue result, String error, boolean retryable) {

        JsonObject toJson() {
            JsonObjectBuilder b = Json.createObjectBuilder().add("id", id).add("leaseToken", leaseToken);
            if (success) {
                if (result != null && result != JsonValue.NULL) {
                    b.add("result", result);
                }
            } else {
                b.add("error", error).add("retryable", retryable);
            }
            return b.build();
        }
    }

    final long id;
    final String type;
    final String leaseToken;
    final JobContext context;
    final Duration leaseDuration;
    final Duration heartbeatEvery;
    private State state = State.RUNNING;
    private Thread thread;
    private ScheduledFuture<?> heartbeat;
    private volatile long leaseDeadlineNanos;

    JobRun(JsonObject claimed, long claimSentNanos, Duration heartbeatOverride) {
        this.id = claimed.getJsonNumber("id").longValue();
        this.type = claimed.getString("type");
        this.leaseToken = claimed.getString("leaseToken");
        JsonObjectBuilder visible = Json.createObjectBuilder(claimed).remove("leaseToken");
        this.context = new JobContext(visible.build());
        Duration lease = Duration.between(
                OffsetDateTime.parse(claimed.getString("claimedAt")),
                OffsetDateTime.parse(claimed.getString("leaseExpiresAt")));
        this.leaseDuration = lease.isNegative() || lease.isZero() ? Duration.ofSeconds(60) : lease;
        Duration third = leaseDuration.dividedBy(3);
        Duration every =
                heartbeatOverride != null && heartbeatOverride.compareTo(third) < 0 ? heartbeatOverride : third;
        this.heartbeatEvery = every.compareTo(Duration.ofMillis(200)) < 0 ? Duration.ofMillis(200) : every;
        // measured from when the claim was sent: never later than the server's own expiry
        this.leaseDeadlineNanos = claimSentNanos + leaseDuration.toNanos();
    }

    synchronized State state() {
        return state;
    }

    synchronized void attach(Thread t) {
        this.thread = t;
    }

    synchronized void heartbeat(ScheduledFuture<?> f) {
        this.heartbeat = f;
    }

    /** The handler returned or threw: the slot is free; false when the run was already DONE. */
    synchronized boolean finish() {
        thread = null;
        if (state != State.RUNNING) {
            return false;
        }
        state = State.FINISHED;
        return true;
    }

    /** Reported or dropped: no more heartbeats. */
    synchronized void done() {
        state = State.DONE;
        thread = null;
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
    }

    /**
     * Signals the handler to stop (flag, then interrupt while it still runs); the first reason wins.
     * Answers true when this call set the reason.
     */
    synchronized boolean stop(StopReason reason) {
        boolean first = context.stop(reason);
        if (state == State.RUNNING && thread != null) {
            thread.interrupt();
        }
        if (reason != StopReason.SHUTDOWN && heartbeat != null) {
            heartbeat.cancel(false);
        }
        return first;
    }

    /** A heartbeat succeeded at {@code sentNanos}: the lease lasts another full period from then. */
    void renewed(long sentNanos) {
        leaseDeadlineNanos = sentNanos + leaseDuration.toNanos();
    }

    /** Whether the lease has certainly ended by now without a renewal. */
    boolean leaseOver(long nowNanos) {
        return nowNanos - leaseDeadlineNanos > 0;
    }
}
