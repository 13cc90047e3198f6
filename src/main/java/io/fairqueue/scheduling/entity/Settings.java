package io.fairqueue.scheduling.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

/**
 * The one settings row: per-user serialization (seed 002) and the global slot pool. {@code running}
 * is kept by the database trigger while {@code globalSlots} is set; JPA never writes it.
 */
@Entity
@Table(name = "settings")
public class Settings {

    public static final short ID = 1;

    @Id
    private short id;

    @Column(name = "per_user_serialization", nullable = false)
    private boolean perUserSerialization;

    @Column(name = "lock_timeout_seconds", nullable = false)
    private int lockTimeoutSeconds;

    @Column(name = "global_slots")
    private Integer globalSlots;

    @Column(insertable = false, updatable = false)
    private int running;

    @Version
    private long version;

    protected Settings() {}

    public boolean perUserSerialization() {
        return perUserSerialization;
    }

    public int lockTimeoutSeconds() {
        return lockTimeoutSeconds;
    }

    public Integer globalSlots() {
        return globalSlots;
    }

    public int running() {
        return running;
    }

    public void serializePerUser(boolean enabled, int lockTimeoutSeconds) {
        this.perUserSerialization = enabled;
        this.lockTimeoutSeconds = lockTimeoutSeconds;
    }

    public void limitGlobalSlots(Integer globalSlots) {
        this.globalSlots = globalSlots;
    }
}
