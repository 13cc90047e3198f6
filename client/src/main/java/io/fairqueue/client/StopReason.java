package io.fairqueue.client;

/** Why a running job's handler is asked to stop before it finishes. */
public enum StopReason {
    /** The job was cancelled (heartbeat answered {@code cancelRequested}). */
    CANCELLED,
    /** The job was paused (heartbeat answered {@code pauseRequested}); it will run again on resume. */
    PAUSED,
    /** The lease is gone (409 stale-lease / lease-revoked, or it ran out unrenewed): the job is no longer ours. */
    LEASE_LOST,
    /** The worker is shutting down and the grace period is over; the attempt is failed as retryable. */
    SHUTDOWN
}
