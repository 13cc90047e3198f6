package io.fairqueue.queues.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.OffsetDateTime;

/**
 * A named queue with its own concurrency cap, retry policy and lease length. The queue
 * {@code default} always exists (created by the first migration).
 */
@Entity
@Table(name = "queue")
public class Queue {

    public static final String DEFAULT = "default";

    @Id
    private String name;

    private String description;

    @Column(name = "max_concurrent")
    private Integer maxConcurrent;

    @Column(name = "max_retries", nullable = false)
    private int maxRetries;

    @Column(name = "retry_base_delay_seconds", nullable = false)
    private int retryBaseDelaySeconds;

    @Column(name = "lease_seconds", nullable = false)
    private int leaseSeconds;

    @Column(nullable = false)
    private boolean paused;

    @Column(name = "created_at", nullable = false)
    private OffsetDateTime createdAt;

    // Column running is not mapped: it is only the base of the running count, which claims raise
    // and releases append to (queue_release); the count is fq_queue_running(name) (R__claim.sql).

    @Version
    private long version;

    protected Queue() {}

    public Queue(
            String name,
            String description,
            Integer maxConcurrent,
            int maxRetries,
            int retryBaseDelaySeconds,
            int leaseSeconds,
            OffsetDateTime createdAt) {
        this.name = name;
        this.description = description;
        this.maxConcurrent = maxConcurrent;
        this.maxRetries = maxRetries;
        this.retryBaseDelaySeconds = retryBaseDelaySeconds;
        this.leaseSeconds = leaseSeconds;
        this.createdAt = createdAt;
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    public Integer maxConcurrent() {
        return maxConcurrent;
    }

    public int maxRetries() {
        return maxRetries;
    }

    public int retryBaseDelaySeconds() {
        return retryBaseDelaySeconds;
    }

    public int leaseSeconds() {
        return leaseSeconds;
    }

    public boolean paused() {
        return paused;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    public void describe(String description) {
        this.description = description;
    }

    public void limitConcurrency(Integer maxConcurrent) {
        this.maxConcurrent = maxConcurrent;
    }

    public void retryPolicy(int maxRetries, int retryBaseDelaySeconds) {
        this.maxRetries = maxRetries;
        this.retryBaseDelaySeconds = retryBaseDelaySeconds;
    }

    public void leaseFor(int leaseSeconds) {
        this.leaseSeconds = leaseSeconds;
    }

    public void pause() {
        this.paused = true;
    }

    public void resume() {
        this.paused = false;
    }
}
