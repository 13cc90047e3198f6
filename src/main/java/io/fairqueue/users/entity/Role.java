package io.fairqueue.users.entity;

/** USER owns jobs; WORKER claims and reports; ADMIN does everything. */
public enum Role {
    USER,
    ADMIN,
    WORKER
}
