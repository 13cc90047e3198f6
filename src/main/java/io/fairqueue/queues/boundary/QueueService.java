package io.fairqueue.queues.boundary;

import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.control.QueueStatsQuery;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.scheduling.control.Limits;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.PersistenceException;
import java.time.Clock;
import java.util.List;

/** Queues: create, configure, pause and resume, statistics. Queues are never deleted. */
@Stateless
public class QueueService {

    static final int DEFAULT_MAX_RETRIES = 3;
    static final int DEFAULT_RETRY_BASE_DELAY = 10;
    static final int DEFAULT_LEASE_SECONDS = 60;

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    QueueStatsQuery statsQuery;

    @Inject
    Limits limits;

    public QueueView create(QueueRequests.Create r) {
        if (em.find(Queue.class, r.name()) != null) {
            throw ProblemException.conflict("queue-exists", "queue '" + r.name() + "' already exists");
        }
        Queue q = new Queue(
                r.name(),
                r.description(),
                r.maxConcurrent(),
                r.maxRetries() == null ? DEFAULT_MAX_RETRIES : r.maxRetries(),
                r.retryBaseDelaySeconds() == null ? DEFAULT_RETRY_BASE_DELAY : r.retryBaseDelaySeconds(),
                r.leaseSeconds() == null ? DEFAULT_LEASE_SECONDS : r.leaseSeconds(),
                Time.now(clock));
        em.persist(q);
        try {
            em.flush();
        } catch (PersistenceException e) {
            throw ProblemException.conflict("queue-exists", "queue '" + r.name() + "' already exists");
        }
        return QueueView.of(q);
    }

    public List<QueueView> list() {
        return em.createQuery("SELECT q FROM Queue q ORDER BY q.name", Queue.class).getResultList().stream()
                .map(QueueView::of)
                .toList();
    }

    public QueueView get(String name) {
        return QueueView.of(find(name, LockModeType.NONE));
    }

    public QueueView patch(String name, QueueRequests.Patch r) {
        if (r.maxConcurrentGiven()) {
            limits.lockJobs();
        }
        Queue q = find(name, LockModeType.PESSIMISTIC_WRITE);
        if (r.descriptionGiven()) {
            q.describe(r.description());
        }
        if (r.maxConcurrentGiven()) {
            q.limitConcurrency(r.maxConcurrent());
            limits.recountQueue(name);
        }
        if (r.maxRetries() != null || r.retryBaseDelaySeconds() != null) {
            q.retryPolicy(
                    r.maxRetries() == null ? q.maxRetries() : r.maxRetries(),
                    r.retryBaseDelaySeconds() == null ? q.retryBaseDelaySeconds() : r.retryBaseDelaySeconds());
        }
        if (r.leaseSeconds() != null) {
            q.leaseFor(r.leaseSeconds());
        }
        return QueueView.of(q);
    }

    public QueueView pause(String name) {
        Queue q = find(name, LockModeType.PESSIMISTIC_WRITE);
        q.pause();
        return QueueView.of(q);
    }

    public QueueView resume(String name) {
        Queue q = find(name, LockModeType.PESSIMISTIC_WRITE);
        q.resume();
        return QueueView.of(q);
    }

    public QueueView.Stats stats(String name) {
        find(name, LockModeType.NONE);
        return statsQuery.stats(name, Time.now(clock));
    }

    private Queue find(String name, LockModeType lock) {
        Queue q = em.find(Queue.class, name, lock);
        if (q == null) {
            throw ProblemException.notFound("queue", name);
        }
        return q;
    }
}
