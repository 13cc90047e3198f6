package io.fairqueue.client;

import jakarta.json.JsonObject;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What a handler knows about the job it runs, and its cancellation signal: {@link #isStopped()}
 * turns true (and the handler's thread is interrupted) within one heartbeat of a cancel or pause,
 * when the lease is lost, or when the worker's shutdown grace period ends.
 */
public final class JobContext {

    private final JsonObject job;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile StopReason reason;

    JobContext(JsonObject job) {
        this.job = job;
    }

    /** The job's id. */
    public long jobId() {
        return job.getJsonNumber("id").longValue();
    }

    /** The job's type. */
    public String type() {
        return job.getString("type");
    }

    /** The job's owner. */
    public String userId() {
        return job.getString("userId");
    }

    /** The job's queue. */
    public String queue() {
        return job.getString("queue");
    }

    /** This attempt's number (1 for the first). */
    public int attempt() {
        return job.getInt("attempts");
    }

    /** The job as claimed (without its lease token). */
    public JsonObject job() {
        return job;
    }

    /** Whether the handler should stop now. */
    public boolean isStopped() {
        return reason != null;
    }

    /** Why it should stop, once it should. */
    public Optional<StopReason> stopReason() {
        return Optional.ofNullable(reason);
    }

    /** Throws {@link CancellationException} when the job should stop: a one-line check for loops. */
    public void throwIfStopped() {
        StopReason r = reason;
        if (r != null) {
            throw new CancellationException("job " + jobId() + " stopped: " + r);
        }
    }

    /**
     * Waits up to {@code timeout} for a stop; true when it came (a cancellable sleep). The stop's
     * interrupt does not escape as an exception: it answers true instead.
     */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        try {
            return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            if (isStopped()) {
                return true;
            }
            throw e;
        }
    }

    /** Sets the stop reason once; false when one was already set. */
    boolean stop(StopReason r) {
        synchronized (this) {
            if (reason != null) {
                return false;
            }
            reason = r;
        }
        stopped.countDown();
        return true;
    }
}
