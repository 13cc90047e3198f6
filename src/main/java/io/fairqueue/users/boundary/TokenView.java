package io.fairqueue.users.boundary;

import io.fairqueue.users.entity.ApiToken;
import java.time.OffsetDateTime;

/**
 * A token as its owner and admins see it: its id (the handle to revoke it by), never the token nor
 * its hash. {@code lastUsedAt} is recorded at most once a minute, so it may be up to a minute
 * behind; {@code expired} is judged by the server's clock.
 */
public record TokenView(
        long id,
        String name,
        OffsetDateTime createdAt,
        OffsetDateTime lastUsedAt,
        OffsetDateTime expiresAt,
        boolean expired) {

    static TokenView of(ApiToken t, OffsetDateTime now) {
        return new TokenView(t.id(), t.name(), t.createdAt(), t.lastUsedAt(), t.expiresAt(), t.expiredAt(now));
    }

    /** The answer to issuing a token: the token itself, shown this once. */
    public record Issued(
            long id, String userId, String token, String name, OffsetDateTime createdAt, OffsetDateTime expiresAt) {

        static Issued of(ApiToken t, String token) {
            return new Issued(t.id(), t.userId(), token, t.name(), t.createdAt(), t.expiresAt());
        }
    }
}
