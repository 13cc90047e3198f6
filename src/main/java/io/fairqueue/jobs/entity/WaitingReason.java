package io.fairqueue.jobs.entity;

/**
 * Why a job is not running yet (SPEC §3 "Waiting reason"). A SCHEDULED job waits for its start
 * time and a RETRY_WAIT job for its backoff; a PENDING job is held back by the rules below, which
 * the claim checks in this order. {@link #AHEAD_IN_QUEUE}: nothing holds it back, other jobs come
 * first.
 *
 * <p>To add a reason: a constant here, its rule in {@code JobPositions.reasons} (in the claim's
 * order) and the claim's own check in {@code db/functions}; the API and the console show the
 * constant's name.
 */
public enum WaitingReason {
    /** SCHEDULED: its {@code scheduledStartAt} lies ahead. */
    SCHEDULED,
    /** RETRY_WAIT: its {@code nextRetryAt} lies ahead. */
    RETRY_BACKOFF,
    /** Its queue is paused. */
    QUEUE_PAUSED,
    /** It is {@code offPeakOnly} and no enabled OFF_PEAK window is open now. */
    OFF_PEAK_WINDOW,
    /** Its user's or project's daily, weekly or monthly quota is used up. */
    QUOTA_EXCEEDED,
    /** Its user runs as many jobs as its {@code maxConcurrent} (per-user serialization on). */
    USER_LIMIT,
    /** Its queue runs as many jobs as its {@code maxConcurrent}. */
    QUEUE_LIMIT,
    /** The pool runs as many jobs as {@code globalSlots}. */
    GLOBAL_SLOTS,
    /** Eligible: other jobs come before it. */
    AHEAD_IN_QUEUE
}
