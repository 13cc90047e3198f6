package io.fairqueue.security.control;

import io.fairqueue.users.entity.Role;

/** The authenticated caller of one request. */
public record Caller(String id, Role role) {

    public static final String REQUEST_ATTRIBUTE = Caller.class.getName();

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }

    /** USERs act on their own jobs only; WORKERs and ADMINs on every job. */
    public boolean mayActOnJobsOf(String userId) {
        return role != Role.USER || id.equals(userId);
    }
}
