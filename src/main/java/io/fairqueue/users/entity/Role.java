package io.fairqueue.users.entity;

/**
 * USER owns jobs; WORKER claims and reports; ADMIN does everything; VIEWER reads what an ADMIN
 * reads and changes nothing (every call but GET and HEAD is refused to it, by
 * {@code AuthorizationFilter}).
 */
public enum Role {
    USER,
    ADMIN,
    WORKER,
    VIEWER
}
