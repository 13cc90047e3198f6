package io.fairqueue.users.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A bearer token, kept only as its SHA-256 hash. */
@Entity
@Table(name = "api_token")
public class ApiToken {

    @Id
    @Column(name = "token_hash")
    private String tokenHash;

    @Column(name = "user_id", nullable = false)
    private String userId;

    @Column(name = "created_at", nullable = false)
    private OffsetDateTime createdAt;

    protected ApiToken() {
    }

    public ApiToken(String tokenHash, String userId, OffsetDateTime createdAt) {
        this.tokenHash = tokenHash;
        this.userId = userId;
        this.createdAt = createdAt;
    }

    public String userId() {
        return userId;
    }
}
