package io.fairqueue.users.boundary;

import io.fairqueue.users.entity.Role;
import io.fairqueue.users.entity.User;
import java.math.BigDecimal;
import java.time.OffsetDateTime;

public record UserView(String id, String displayName, Role role, int maxConcurrent, BigDecimal monthlyHoursLimit,
        OffsetDateTime createdAt) {

    public static UserView of(User u) {
        return new UserView(u.id(), u.displayName(), u.role(), u.maxConcurrent(), u.monthlyHoursLimit(), u.createdAt());
    }

    /** The answer to creating a user: the user and its first token, shown this once. */
    public record WithToken(UserView user, String token) {
    }

    public record NewToken(String userId, String token) {
    }
}
