package io.fairqueue.jobs.entity;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The nine states of a job and the only moves between them (SPEC §2). This table is the state
 * machine; {@link Job} consults it for every status change and writes one {@link Transition}.
 *
 * <pre>
 * SCHEDULED  -> PENDING, PAUSED, CANCELLED
 * PENDING    -> DISPATCHED, PAUSED, CANCELLED
 * DISPATCHED -> RUNNING, PENDING, RETRY_WAIT, FAILED, PAUSED, CANCELLED
 * RUNNING    -> COMPLETED, RETRY_WAIT, FAILED, PAUSED, CANCELLED
 * RETRY_WAIT -> PENDING, PAUSED, CANCELLED
 * PAUSED     -> PENDING, SCHEDULED, CANCELLED
 * COMPLETED, FAILED, CANCELLED: terminal
 * </pre>
 */
public enum JobStatus {
    SCHEDULED,
    PENDING,
    DISPATCHED,
    RUNNING,
    RETRY_WAIT,
    PAUSED,
    COMPLETED,
    FAILED,
    CANCELLED;

    private static final Map<JobStatus, Set<JobStatus>> ALLOWED = new EnumMap<>(JobStatus.class);

    static {
        ALLOWED.put(SCHEDULED, EnumSet.of(PENDING, PAUSED, CANCELLED));
        ALLOWED.put(PENDING, EnumSet.of(DISPATCHED, PAUSED, CANCELLED));
        ALLOWED.put(DISPATCHED, EnumSet.of(RUNNING, PENDING, RETRY_WAIT, FAILED, PAUSED, CANCELLED));
        ALLOWED.put(RUNNING, EnumSet.of(COMPLETED, RETRY_WAIT, FAILED, PAUSED, CANCELLED));
        ALLOWED.put(RETRY_WAIT, EnumSet.of(PENDING, PAUSED, CANCELLED));
        ALLOWED.put(PAUSED, EnumSet.of(PENDING, SCHEDULED, CANCELLED));
        ALLOWED.put(COMPLETED, EnumSet.noneOf(JobStatus.class));
        ALLOWED.put(FAILED, EnumSet.noneOf(JobStatus.class));
        ALLOWED.put(CANCELLED, EnumSet.noneOf(JobStatus.class));
    }

    public Set<JobStatus> allowedTargets() {
        return Collections.unmodifiableSet(ALLOWED.get(this));
    }

    public boolean canMoveTo(JobStatus target) {
        return ALLOWED.get(this).contains(target);
    }

    public boolean isTerminal() {
        return ALLOWED.get(this).isEmpty();
    }

    /** DISPATCHED and RUNNING jobs hold a slot of their user, queue and the global pool. */
    public boolean holdsSlot() {
        return this == DISPATCHED || this == RUNNING;
    }

    /** Statuses a "clear queue" cancels: everything that waits. */
    public static final Set<JobStatus> WAITING =
            Collections.unmodifiableSet(EnumSet.of(PENDING, SCHEDULED, RETRY_WAIT, PAUSED));
}
