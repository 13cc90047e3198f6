package io.fairqueue.users.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/**
 * A bearer token, kept only as its SHA-256 hash. Its {@code id} is the public handle (listed,
 * revoked by); the hash never leaves the server. A token is valid from its creation until it is
 * deleted (revoked) or its optional {@code expiresAt} has come.
 */
@Entity
@Table(name = "api_token")
public class ApiToken {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(name = "token_hash", nullable = false, updatable = false)
    private String tokenHash;

    @Column(name = "user_id", nullable = false, updatable = false)
    private String userId;

    private String name;

    @Column(name = "created_at", nullable = false)
    private OffsetDateTime createdAt;

    /** Written by the authentication path only (TokenUse); JPA never changes it. */
    @Column(name = "last_used_at")
    private OffsetDateTime lastUsedAt;

    @Column(name = "expires_at")
    private OffsetDateTime expiresAt;

    protected ApiToken() {}

    public ApiToken(String tokenHash, String userId, String name, OffsetDateTime createdAt, OffsetDateTime expiresAt) {
        this.tokenHash = tokenHash;
        this.userId = userId;
        this.name = name;
        this.createdAt = createdAt;
        this.expiresAt = expiresAt;
    }

    public long id() {
        return id;
    }

    public String userId() {
        return userId;
    }

    public String name() {
        return name;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    public OffsetDateTime lastUsedAt() {
        return lastUsedAt;
    }

    public OffsetDateTime expiresAt() {
        return expiresAt;
    }

    public boolean expiredAt(OffsetDateTime now) {
        return expiresAt != null && !expiresAt.isAfter(now);
    }
}
