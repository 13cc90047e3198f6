package io.fairqueue.users.boundary;

import io.fairqueue.users.entity.Role;
import io.fairqueue.users.entity.User;
import java.math.BigDecimal;
import java.time.OffsetDateTime;

/**
 * A user with its limits and its live counts ({@code running}: DISPATCHED + RUNNING jobs, a
 * counter; {@code pending}: PENDING jobs, derived from the position counts, see fq_user_pending).
 */
public record UserView(
        String id,
        String displayName,
        Role role,
        int maxConcurrent,
        BigDecimal monthlyHoursLimit,
        OffsetDateTime createdAt,
        int running,
        long pending) {

    public static UserView of(User u, long pending) {
        return of(u, u.running(), pending);
    }

    /** The user with a running count read together with {@code pending} (one snapshot). */
    public static UserView of(User u, int running, long pending) {
        return new UserView(
                u.id(),
                u.displayName(),
                u.role(),
                u.maxConcurrent(),
                u.monthlyHoursLimit(),
                u.createdAt(),
                running,
                pending);
    }

    /** The answer to creating a user: the user and its first token, shown this once, with the token's id. */
    public record WithToken(UserView user, String token, long tokenId) {}
}
