package io.fairqueue.security.control;

import io.fairqueue.users.entity.Role;

/** The authenticated caller of one request. */
public record Caller(String id, Role role) {

    public static final String REQUEST_ATTRIBUTE = Caller.class.getName();

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }

    /** ADMINs and VIEWERs read everything: every user's jobs, quotas, tokens' names and workers. */
    public boolean readsEverything() {
        return role == Role.ADMIN || role == Role.VIEWER;
    }

    /** USERs see their own jobs only; WORKERs (which run them), ADMINs and VIEWERs see every job. */
    public boolean maySeeJobsOf(String userId) {
        return role != Role.USER || id.equals(userId);
    }

    /** Pause, resume, cancel and retry: the job's owner or an ADMIN. */
    public boolean mayManageJobsOf(String userId) {
        return role == Role.ADMIN || id.equals(userId);
    }
}
