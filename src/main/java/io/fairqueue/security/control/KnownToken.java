package io.fairqueue.security.control;

import java.time.Duration;
import java.time.Instant;

/**
 * A token as the authentication path knows it: whose it is, when it stops being valid and when
 * its use was last recorded. Never holds the token or its hash.
 *
 * @param expiresAt null: never
 * @param lastUsedAt null: never used (as far as recorded)
 */
public record KnownToken(long tokenId, Caller caller, Instant expiresAt, Instant lastUsedAt) {

    /** {@code lastUsedAt} is written at most this often per token (a write per request would cost more than the request). */
    public static final Duration USE_RECORDED_EVERY = Duration.ofMinutes(1);

    /** Expired tokens are refused like unknown ones; the expiry instant itself is already too late. */
    public boolean expiredAt(Instant now) {
        return expiresAt != null && !expiresAt.isAfter(now);
    }

    /** Whether this use should be recorded: the last recorded one is a minute old or more. */
    public boolean useDueAt(Instant now) {
        return lastUsedAt == null || !lastUsedAt.isAfter(now.minus(USE_RECORDED_EVERY));
    }

    public KnownToken usedAt(Instant now) {
        return new KnownToken(tokenId, caller, expiresAt, now);
    }
}
