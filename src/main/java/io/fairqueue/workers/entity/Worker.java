package io.fairqueue.workers.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;

/**
 * A registered executor. {@code queues == null} means it takes work from every queue. Not
 * versioned: its only changing field is the last heartbeat, where the latest writer is right, and
 * one worker process claims from many threads at once.
 */
@Entity
@Table(name = "worker")
public class Worker {

    @Id
    private String id;

    @Column(nullable = false)
    private String name;

    @Column(name = "owner_id", nullable = false)
    private String ownerId;

    private int capacity;

    @Column(name = "callback_url")
    private String callbackUrl;

    private String queues;

    @Column(name = "registered_at", nullable = false)
    private OffsetDateTime registeredAt;

    @Column(name = "last_heartbeat_at", nullable = false)
    private OffsetDateTime lastHeartbeatAt;

    protected Worker() {}

    public Worker(
            String id,
            String name,
            String ownerId,
            int capacity,
            String callbackUrl,
            List<String> queues,
            OffsetDateTime now) {
        this.id = id;
        this.name = name;
        this.ownerId = ownerId;
        this.capacity = capacity;
        this.callbackUrl = callbackUrl;
        this.queues = queues == null || queues.isEmpty() ? null : String.join(",", queues);
        this.registeredAt = now;
        this.lastHeartbeatAt = now;
    }

    public void heartbeat(OffsetDateTime now) {
        lastHeartbeatAt = now;
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    public String ownerId() {
        return ownerId;
    }

    public int capacity() {
        return capacity;
    }

    public String callbackUrl() {
        return callbackUrl;
    }

    public List<String> queues() {
        return queues == null ? null : Arrays.asList(queues.split(","));
    }

    public OffsetDateTime registeredAt() {
        return registeredAt;
    }

    public OffsetDateTime lastHeartbeatAt() {
        return lastHeartbeatAt;
    }
}
