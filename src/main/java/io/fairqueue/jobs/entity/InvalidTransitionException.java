package io.fairqueue.jobs.entity;

import jakarta.ejb.ApplicationException;

/** A status change the state machine forbids; answered 409 with the current state and the allowed targets. */
@ApplicationException(rollback = true)
public class InvalidTransitionException extends RuntimeException {

    private final Long jobId;
    private final JobStatus from;
    private final JobStatus to;

    public InvalidTransitionException(Long jobId, JobStatus from, JobStatus to) {
        this(
                jobId,
                from,
                to,
                (jobId == null ? "the job" : "job " + jobId) + " is " + from + " and cannot move to " + to
                        + (from.isTerminal() ? " (" + from + " is terminal)" : "; allowed: " + from.allowedTargets()));
    }

    /** A refused intent with its own explanation (e.g. "resume applies only to a PAUSED job"). */
    public InvalidTransitionException(Long jobId, JobStatus from, JobStatus to, String detail) {
        super(detail);
        this.jobId = jobId;
        this.from = from;
        this.to = to;
    }

    public Long jobId() {
        return jobId;
    }

    public JobStatus from() {
        return from;
    }

    public JobStatus to() {
        return to;
    }
}
