package io.fairqueue.jobs.entity;

import static io.fairqueue.jobs.entity.JobStatus.CANCELLED;
import static io.fairqueue.jobs.entity.JobStatus.COMPLETED;
import static io.fairqueue.jobs.entity.JobStatus.DISPATCHED;
import static io.fairqueue.jobs.entity.JobStatus.FAILED;
import static io.fairqueue.jobs.entity.JobStatus.PAUSED;
import static io.fairqueue.jobs.entity.JobStatus.PENDING;
import static io.fairqueue.jobs.entity.JobStatus.RETRY_WAIT;
import static io.fairqueue.jobs.entity.JobStatus.RUNNING;
import static io.fairqueue.jobs.entity.JobStatus.SCHEDULED;

import io.fairqueue.platform.control.Time;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.OffsetDateTime;

/**
 * A unit of work and its lifecycle.
 *
 * <p>A job is created PENDING (or SCHEDULED when its start lies ahead). A claim makes it
 * DISPATCHED with a fresh {@code leaseToken} (see {@code ClaimQuery}); the worker starts it
 * (RUNNING), heartbeats to extend the lease, and completes or fails it. A failed attempt with
 * retries left waits in RETRY_WAIT for its backoff, then is PENDING again; with none left it is
 * FAILED, which is the dead-letter queue. Pause and cancel work from every non-terminal state.
 *
 * <p>Status changes only through the intent methods below; each validates the move against
 * {@link JobStatus} and returns the {@link Transition} the caller persists in the same
 * transaction. {@code claimedAt}, {@code startedAt} and {@code actualDurationSecs} describe the
 * latest attempt; the transition log keeps every earlier one.
 */
@Entity
@Table(name = "job")
public class Job {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false)
    private String queue;

    @Column(name = "user_id", nullable = false)
    private String userId;

    @Column(name = "project_id")
    private String projectId;

    @Column(nullable = false)
    private String type;

    private String payload;

    private int priority;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private JobStatus status;

    @Column(name = "scheduled_start_at")
    private OffsetDateTime scheduledStartAt;

    @Column(name = "off_peak_only", nullable = false)
    private boolean offPeakOnly;

    private int attempts;

    @Column(name = "max_retries", nullable = false)
    private int maxRetries;

    @Column(name = "next_retry_at")
    private OffsetDateTime nextRetryAt;

    @Column(name = "worker_id")
    private String workerId;

    @Column(name = "lease_token")
    private String leaseToken;

    @Column(name = "lease_expires_at")
    private OffsetDateTime leaseExpiresAt;

    @Column(name = "created_at", nullable = false)
    private OffsetDateTime createdAt;

    @Column(name = "claimed_at")
    private OffsetDateTime claimedAt;

    @Column(name = "started_at")
    private OffsetDateTime startedAt;

    @Column(name = "finished_at")
    private OffsetDateTime finishedAt;

    @Column(name = "actual_duration_secs")
    private Double actualDurationSecs;

    private String result;

    @Column(name = "last_error")
    private String lastError;

    @Column(name = "retry_of")
    private Long retryOf;

    @Column(name = "idempotency_key")
    private String idempotencyKey;

    @Version
    private long version;

    protected Job() {}

    /** A new job, PENDING, or SCHEDULED when {@code scheduledStartAt} is after {@code now}. */
    public Job(
            String queue,
            String userId,
            String projectId,
            String type,
            String payload,
            int priority,
            OffsetDateTime scheduledStartAt,
            boolean offPeakOnly,
            int maxRetries,
            Long retryOf,
            String idempotencyKey,
            OffsetDateTime now) {
        this.queue = queue;
        this.userId = userId;
        this.projectId = projectId;
        this.type = type;
        this.payload = payload;
        this.priority = priority;
        this.scheduledStartAt = scheduledStartAt;
        this.offPeakOnly = offPeakOnly;
        this.maxRetries = maxRetries;
        this.retryOf = retryOf;
        this.idempotencyKey = idempotencyKey;
        this.createdAt = now;
        this.status = scheduledStartAt != null && scheduledStartAt.isAfter(now) ? SCHEDULED : PENDING;
    }

    /** The audit row of the creation itself (from = null). Persist after the job has its id. */
    public Transition created(String by, String reason) {
        return new Transition(id, null, status, createdAt, by, reason);
    }

    /** A copy of this dead-lettered job as a new job with {@code retryOf} set. */
    public Job retryAsNew(OffsetDateTime now) {
        if (status != FAILED) {
            throw new InvalidTransitionException(id, status, PENDING);
        }
        return new Job(queue, userId, projectId, type, payload, priority, null, offPeakOnly, maxRetries, id, null, now);
    }

    /** DISPATCHED -> RUNNING: the worker has begun. */
    public Transition start(OffsetDateTime now, String by) {
        Transition t = move(RUNNING, now, by, null);
        startedAt = now;
        return t;
    }

    /** Extends the lease of a DISPATCHED or RUNNING job. */
    public void extendLease(OffsetDateTime now, int leaseSeconds) {
        leaseExpiresAt = now.plusSeconds(leaseSeconds);
    }

    /** RUNNING -> COMPLETED. */
    public Transition complete(String resultJson, OffsetDateTime now, String by) {
        Transition t = move(COMPLETED, now, by, null);
        endAttempt(now);
        result = resultJson;
        finishedAt = now;
        return t;
    }

    /**
     * A failed attempt: RETRY_WAIT with backoff while retries remain and the error is retryable,
     * FAILED (dead letter) otherwise.
     */
    public Transition fail(String error, boolean retryable, int retryBaseDelaySeconds, OffsetDateTime now, String by) {
        return endFailed(
                error,
                retryable,
                now,
                by,
                attempts <= maxRetries
                        ? RetryPolicy.delay(Math.max(1, attempts), retryBaseDelaySeconds)
                        : java.time.Duration.ZERO);
    }

    /**
     * The worker was lost (its lease expired or it ran past the lock timeout): a failed attempt,
     * retried at once while retries remain, since the failure was the worker's, not the job's.
     */
    public Transition loseWorker(String reason, OffsetDateTime now) {
        return endFailed(reason, true, now, null, java.time.Duration.ZERO);
    }

    /** True when this job waits in RETRY_WAIT and its backoff has elapsed. */
    public boolean retryIsDue(OffsetDateTime now) {
        return status == RETRY_WAIT && nextRetryAt != null && !nextRetryAt.isAfter(now);
    }

    /**
     * RETRY_WAIT -> PENDING, its backoff elapsed: the promoter's move ({@code fq_promote}) for one
     * job in memory. The lease reaper makes a lost worker's job, whose retry is due at once,
     * claimable again in the transaction that reaps it, not at the promoter's next tick.
     */
    public Transition retryDue(OffsetDateTime now) {
        requireStatus(RETRY_WAIT, PENDING, "a retry");
        if (!retryIsDue(now)) {
            throw new IllegalStateException("job " + id + " waits for its retry until " + nextRetryAt);
        }
        Transition t = move(PENDING, now, null, "retry backoff elapsed");
        nextRetryAt = null;
        return t;
    }

    private Transition endFailed(
            String error, boolean retryable, OffsetDateTime now, String by, java.time.Duration backoff) {
        boolean retry = retryable && attempts <= maxRetries;
        Transition t = move(retry ? RETRY_WAIT : FAILED, now, by, error);
        endAttempt(now);
        lastError = error;
        if (retry) {
            nextRetryAt = now.plus(backoff);
        } else {
            finishedAt = now;
        }
        return t;
    }

    /** -> PAUSED. A claimed job loses its lease at once; its worker sees {@code pauseRequested}. */
    public Transition pause(OffsetDateTime now, String by, String reason) {
        boolean running = status.holdsSlot();
        Transition t = move(PAUSED, now, by, reason);
        if (running) {
            endAttempt(now);
        }
        nextRetryAt = null;
        return t;
    }

    /**
     * DISPATCHED -> PENDING: the job was handed out but never reached its worker (a push that
     * failed). The attempt did not happen, so it is not counted; the lease is revoked.
     */
    public Transition release(OffsetDateTime now, String by, String reason) {
        requireStatus(DISPATCHED, PENDING, "a release");
        Transition t = move(PENDING, now, by, reason);
        endAttempt(now);
        attempts = Math.max(0, attempts - 1);
        return t;
    }

    /**
     * PAUSED -> PENDING, or SCHEDULED while its start time is still ahead. Only a PAUSED job
     * resumes: the table also lets DISPATCHED and RETRY_WAIT jobs move to PENDING, but those moves
     * belong to a release and to the promoter, not to "resume".
     */
    public Transition resume(OffsetDateTime now, String by) {
        requireStatus(PAUSED, PENDING, "resume");
        return move(scheduledStartAt != null && scheduledStartAt.isAfter(now) ? SCHEDULED : PENDING, now, by, null);
    }

    /** -> CANCELLED, from any non-terminal state. */
    public Transition cancel(OffsetDateTime now, String by, String reason) {
        boolean running = status.holdsSlot();
        Transition t = move(CANCELLED, now, by, reason);
        if (running) {
            endAttempt(now);
        }
        nextRetryAt = null;
        finishedAt = now;
        return t;
    }

    /** An admin's new priority: a transition with the same from and to status. */
    public Transition reprioritize(int newPriority, OffsetDateTime now, String by, String reason) {
        if (status.isTerminal()) {
            throw new InvalidTransitionException(id, status, status);
        }
        priority = newPriority;
        return new Transition(id, status, status, now, by, reason == null ? "priority set to " + newPriority : reason);
    }

    /** An intent that applies to one source state only refuses every other one, before anything changes. */
    private void requireStatus(JobStatus source, JobStatus to, String intent) {
        if (status != source) {
            throw new InvalidTransitionException(
                    id,
                    status,
                    to,
                    intent + " applies only to a " + source + " job; " + (id == null ? "the job" : "job " + id) + " is "
                            + status);
        }
    }

    private Transition move(JobStatus to, OffsetDateTime now, String by, String reason) {
        if (!status.canMoveTo(to)) {
            throw new InvalidTransitionException(id, status, to);
        }
        Transition t = new Transition(id, status, to, now, by, reason);
        status = to;
        return t;
    }

    /** Run time of the attempt that ends now: from RUNNING, or from DISPATCHED if it never started. */
    private void endAttempt(OffsetDateTime now) {
        OffsetDateTime from = startedAt != null ? startedAt : claimedAt;
        actualDurationSecs = from == null ? 0.0 : Math.max(0.0, Time.secondsBetween(from, now));
        leaseExpiresAt = null;
    }

    /** True when {@code token} is this job's current lease token. */
    public boolean holdsLease(String token) {
        return leaseToken != null && leaseToken.equals(token);
    }

    public Long id() {
        return id;
    }

    public String queue() {
        return queue;
    }

    public String userId() {
        return userId;
    }

    public String projectId() {
        return projectId;
    }

    public String type() {
        return type;
    }

    public String payload() {
        return payload;
    }

    public int priority() {
        return priority;
    }

    public JobStatus status() {
        return status;
    }

    public OffsetDateTime scheduledStartAt() {
        return scheduledStartAt;
    }

    public boolean offPeakOnly() {
        return offPeakOnly;
    }

    public int attempts() {
        return attempts;
    }

    public int maxRetries() {
        return maxRetries;
    }

    public OffsetDateTime nextRetryAt() {
        return nextRetryAt;
    }

    public String workerId() {
        return workerId;
    }

    public String leaseToken() {
        return leaseToken;
    }

    public OffsetDateTime leaseExpiresAt() {
        return leaseExpiresAt;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    public OffsetDateTime claimedAt() {
        return claimedAt;
    }

    public OffsetDateTime startedAt() {
        return startedAt;
    }

    public OffsetDateTime finishedAt() {
        return finishedAt;
    }

    public Double actualDurationSecs() {
        return actualDurationSecs;
    }

    public String result() {
        return result;
    }

    public String lastError() {
        return lastError;
    }

    public Long retryOf() {
        return retryOf;
    }

    public String idempotencyKey() {
        return idempotencyKey;
    }
}
