package io.fairqueue.users.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.math.BigDecimal;
import java.time.OffsetDateTime;

/** Who owns jobs, and the limits that apply to them. */
@Entity
@Table(name = "fq_user")
public class User {

    @Id
    private String id;

    @Column(name = "display_name", nullable = false)
    private String displayName;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private Role role;

    @Column(name = "max_concurrent", nullable = false)
    private int maxConcurrent;

    @Column(name = "monthly_hours_limit")
    private BigDecimal monthlyHoursLimit;

    @Column(name = "created_at", nullable = false)
    private OffsetDateTime createdAt;

    /** DISPATCHED + RUNNING jobs; kept by the database trigger, never written by JPA. */
    @Column(insertable = false, updatable = false)
    private int running;

    @Version
    private long version;

    protected User() {}

    public User(
            String id,
            String displayName,
            Role role,
            int maxConcurrent,
            BigDecimal monthlyHoursLimit,
            OffsetDateTime createdAt) {
        this.id = id;
        this.displayName = displayName;
        this.role = role;
        this.maxConcurrent = maxConcurrent;
        this.monthlyHoursLimit = monthlyHoursLimit;
        this.createdAt = createdAt;
    }

    public String id() {
        return id;
    }

    public String displayName() {
        return displayName;
    }

    public Role role() {
        return role;
    }

    public int maxConcurrent() {
        return maxConcurrent;
    }

    public BigDecimal monthlyHoursLimit() {
        return monthlyHoursLimit;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    public int running() {
        return running;
    }

    public void rename(String displayName) {
        this.displayName = displayName;
    }

    public void changeRole(Role role) {
        this.role = role;
    }

    public void limitConcurrency(int maxConcurrent) {
        this.maxConcurrent = maxConcurrent;
    }

    public void limitMonthlyHours(BigDecimal monthlyHoursLimit) {
        this.monthlyHoursLimit = monthlyHoursLimit;
    }
}
