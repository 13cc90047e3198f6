package io.fairqueue.workers.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.security.control.Caller;
import io.fairqueue.workers.control.CallbackAllowlist;
import io.fairqueue.workers.control.CallbackTargets;
import io.fairqueue.workers.entity.Worker;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/** Worker registration and liveness. A WORKER account manages its own workers; ADMIN all. */
@Stateless
public class WorkerService {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    CallbackTargets callbacks;

    /**
     * Registers a worker. A {@code callbackUrl} must pass {@link CallbackTargets} now (400 naming
     * it otherwise); the dispatcher checks it again before every push.
     */
    public WorkerView register(Caller caller, WorkerRequests.Register r) {
        if (r.callbackUrl() != null) {
            try {
                callbacks.check(r.callbackUrl());
            } catch (CallbackAllowlist.Refused e) {
                throw badRequest("callbackUrl", e.getMessage());
            }
        }
        List<String> queues =
                r.queues() == null ? null : r.queues().stream().distinct().toList();
        if (queues != null) {
            for (String q : queues) {
                if (em.find(Queue.class, q) == null) {
                    throw badRequest("queues", "unknown queue '" + q + "'");
                }
            }
        }
        Worker w = new Worker(
                UUID.randomUUID().toString(),
                r.name(),
                caller.id(),
                r.capacity() == null ? 1 : r.capacity(),
                r.callbackUrl(),
                queues,
                Time.now(clock));
        em.persist(w);
        return WorkerView.of(w, Time.now(clock), running(List.of(w.id())).getOrDefault(w.id(), List.of()));
    }

    public WorkerView heartbeat(Caller caller, String id) {
        Worker w = owned(caller, id);
        w.heartbeat(Time.now(clock));
        return WorkerView.of(w, Time.now(clock), running(List.of(w.id())).getOrDefault(w.id(), List.of()));
    }

    public List<WorkerView> list(Caller caller) {
        String jpql = caller.readsEverything()
                ? "SELECT w FROM Worker w ORDER BY w.registeredAt"
                : "SELECT w FROM Worker w WHERE w.ownerId = :owner ORDER BY w.registeredAt";
        var q = em.createQuery(jpql, Worker.class);
        if (!caller.readsEverything()) {
            q.setParameter("owner", caller.id());
        }
        List<Worker> all = q.getResultList();
        java.util.Map<String, List<Long>> running =
                running(all.stream().map(Worker::id).toList());
        return all.stream()
                .map(w -> WorkerView.of(w, Time.now(clock), running.getOrDefault(w.id(), List.of())))
                .toList();
    }

    public WorkerView get(Caller caller, String id) {
        Worker w = owned(caller, id);
        return WorkerView.of(w, Time.now(clock), running(List.of(w.id())).getOrDefault(w.id(), List.of()));
    }

    /**
     * The DISPATCHED and RUNNING jobs leased through each of the workers, by worker id. One
     * statement over the jobs holding a slot (job_running_idx covers exactly those), whatever the
     * number of workers.
     */
    java.util.Map<String, List<Long>> running(List<String> workerIds) {
        java.util.Map<String, List<Long>> out = new java.util.HashMap<>();
        if (workerIds.isEmpty()) {
            return out;
        }
        List<?> rows = em.createNativeQuery("SELECT worker_id, id FROM job WHERE status IN ('DISPATCHED', 'RUNNING')"
                        + " AND worker_id = ANY (CAST(?1 AS text[])) ORDER BY id")
                .setParameter(1, io.fairqueue.platform.control.SqlArrays.of(workerIds))
                .getResultList();
        for (Object r : rows) {
            Object[] row = (Object[]) r;
            out.computeIfAbsent((String) row[0], k -> new java.util.ArrayList<>())
                    .add(((Number) row[1]).longValue());
        }
        return out;
    }

    /** The caller's worker (an ADMIN's: any), or 404. */
    public Worker owned(Caller caller, String id) {
        Worker w = em.find(Worker.class, id);
        if (w == null || !(caller.readsEverything() || w.ownerId().equals(caller.id()))) {
            throw ProblemException.notFound("worker", id);
        }
        return w;
    }
}
