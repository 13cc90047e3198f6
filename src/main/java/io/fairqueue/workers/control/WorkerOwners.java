package io.fairqueue.workers.control;

import io.fairqueue.workers.entity.Worker;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which account registered a worker. A worker's owner is set at registration and never changes
 * (and worker ids are never reused), so an answer, once read, stays true: it is kept in memory
 * and the lease checks of the worker protocol cost no extra round trip after the first.
 */
@ApplicationScoped
public class WorkerOwners {

    /** Beyond this many workers the map starts again from empty (a bound, not an eviction policy). */
    static final int MAX_ENTRIES = 10_000;

    private final ConcurrentHashMap<String, String> owners = new ConcurrentHashMap<>();

    @PersistenceContext
    EntityManager em;

    /** The account that registered {@code workerId}; empty for an unknown worker. */
    public Optional<String> ownerOf(String workerId) {
        String known = owners.get(workerId);
        if (known != null) {
            return Optional.of(known);
        }
        Worker w = em.find(Worker.class, workerId);
        if (w == null) {
            return Optional.empty();
        }
        if (owners.size() >= MAX_ENTRIES) {
            owners.clear();
        }
        owners.put(workerId, w.ownerId());
        return Optional.of(w.ownerId());
    }
}
