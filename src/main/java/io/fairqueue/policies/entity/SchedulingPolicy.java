package io.fairqueue.policies.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.OffsetDateTime;

/**
 * A scheduling policy: {@code OFF_PEAK} ({@code {"start":"22:00","end":"08:00","timezone":"UTC"}}),
 * {@code QUOTA_RESET} ({@code {"timezone":"Europe/Berlin"}}), ... with a JSON config kept as JSONB.
 */
@Entity
@Table(name = "scheduling_policy")
public class SchedulingPolicy {

    public static final String OFF_PEAK = "OFF_PEAK";
    public static final String QUOTA_RESET = "QUOTA_RESET";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(name = "policy_type", nullable = false)
    private String policyType;

    private String name;

    @Column(nullable = false)
    private String config;

    private boolean enabled;

    @Column(name = "created_at", nullable = false)
    private OffsetDateTime createdAt;

    @Version
    private long version;

    protected SchedulingPolicy() {}

    public SchedulingPolicy(String policyType, String name, String config, boolean enabled, OffsetDateTime createdAt) {
        this.policyType = policyType;
        this.name = name;
        this.config = config;
        this.enabled = enabled;
        this.createdAt = createdAt;
    }

    public Long id() {
        return id;
    }

    public String policyType() {
        return policyType;
    }

    public String name() {
        return name;
    }

    public String config() {
        return config;
    }

    public boolean enabled() {
        return enabled;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    public void change(String name, String config, boolean enabled) {
        this.name = name;
        this.config = config;
        this.enabled = enabled;
    }
}
