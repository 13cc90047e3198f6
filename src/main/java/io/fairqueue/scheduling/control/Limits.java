package io.fairqueue.scheduling.control;

import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;

/**
 * Changing a limit. Queue and global counters are kept only while their limit is set, so turning
 * a limit on, off or changing it first takes {@code LOCK TABLE job IN EXCLUSIVE MODE}: it waits for
 * every claim and status change in flight and holds new ones back (for milliseconds), then the
 * counter is recounted. Call {@link #lockJobs()} before touching any queue, settings or user row,
 * to keep the lock order job -> user -> queue -> settings -> lane.
 */
@Dependent
public class Limits {

    @PersistenceContext
    EntityManager em;

    /**
     * {@code LOCK TABLE job IN EXCLUSIVE MODE}, after stopping a vacuum of job in flight
     * (fq_lock_jobs, R__locks_and_bulk_moves.sql).
     */
    public void lockJobs() {
        em.createNativeQuery("SELECT 1 FROM fq_lock_jobs()").getSingleResult();
    }

    public void recountQueue(String queue) {
        em.flush();
        // the released slots (queue_release, see R__claim.sql) are part of the count being replaced
        em.createNativeQuery("DELETE FROM queue_release WHERE queue = ?1")
                .setParameter(1, queue)
                .executeUpdate();
        em.createNativeQuery("""
                UPDATE queue q SET running = CASE WHEN q.max_concurrent IS NULL THEN 0 ELSE
                       (SELECT count(*) FROM job j WHERE j.queue = q.name AND j.status IN ('DISPATCHED', 'RUNNING')) END
                 WHERE q.name = ?1""").setParameter(1, queue).executeUpdate();
    }

    /** The global counter, and every lane's blocked flag (per-user serialization may have changed). */
    public void recountGlobal() {
        em.flush();
        em.createNativeQuery("""
                UPDATE settings SET running = CASE WHEN global_slots IS NULL THEN 0 ELSE
                       (SELECT count(*) FROM job WHERE status IN ('DISPATCHED', 'RUNNING')) END
                 WHERE id = 1""").executeUpdate();
        em.createNativeQuery("""
                UPDATE lane l SET blocked = s.per_user_serialization AND u.running >= u.max_concurrent
                  FROM fq_user u, settings s
                 WHERE s.id = 1 AND u.id = l.user_id
                   AND l.blocked IS DISTINCT FROM (s.per_user_serialization AND u.running >= u.max_concurrent)""").executeUpdate();
    }

    /** A user's limit or plan changed: its lanes' blocked flag and quota block follow. */
    public void refreshUserLanes(String userId) {
        em.flush();
        em.createNativeQuery("""
                UPDATE lane l SET blocked = s.per_user_serialization AND u.running >= u.max_concurrent,
                                  quota_blocked_until = NULL
                  FROM fq_user u, settings s
                 WHERE s.id = 1 AND u.id = l.user_id AND l.user_id = ?1""").setParameter(1, userId).executeUpdate();
    }
}
