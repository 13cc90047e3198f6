package io.fairqueue.jobs.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/**
 * One row of the append-only audit log. {@code from == null}: the job was created;
 * {@code from == to}: an admin changed its priority. {@code triggeredBy == null}: the system.
 */
@Entity
@Table(name = "job_transition")
public class Transition {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(name = "job_id", nullable = false)
    private Long jobId;

    @Enumerated(EnumType.STRING)
    @Column(name = "from_status")
    private JobStatus from;

    @Enumerated(EnumType.STRING)
    @Column(name = "to_status", nullable = false)
    private JobStatus to;

    @Column(nullable = false)
    private OffsetDateTime at;

    @Column(name = "triggered_by")
    private String triggeredBy;

    private String reason;

    protected Transition() {}

    Transition(Long jobId, JobStatus from, JobStatus to, OffsetDateTime at, String triggeredBy, String reason) {
        this.jobId = jobId;
        this.from = from;
        this.to = to;
        this.at = at;
        this.triggeredBy = triggeredBy;
        this.reason = reason;
    }

    public Long id() {
        return id;
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

    public OffsetDateTime at() {
        return at;
    }

    public String triggeredBy() {
        return triggeredBy;
    }

    public String reason() {
        return reason;
    }
}
