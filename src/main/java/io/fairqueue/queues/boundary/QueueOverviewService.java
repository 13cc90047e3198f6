package io.fairqueue.queues.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.jobs.control.JobPositions;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.control.StatusCounts;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.scheduling.boundary.SchedulingAdmin;
import io.fairqueue.scheduling.entity.Settings;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import io.fairqueue.users.entity.User;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The queue view. Nothing here scans the backlog: counts come from {@code fq_counts} (folded
 * counters plus the last second's deltas; R__counts_and_positions.sql), the pending list from the pending-order
 * indexes with a LIMIT, positions from the list itself (row k of the unfiltered order is position
 * k) or from {@code fq_position}. With {@code userId}, counts are that user's, counted in its own
 * jobs ({@code job_user_id_idx} and {@code job_running_idx}), so they cost what the user has, not
 * what the queue has.
 */
@Stateless
public class QueueOverviewService {

    /**
     * Pending jobs in position order: job_pending_order_idx, job_pending_queue_order_idx or
     * job_pending_user_order_idx. Built per filter (not "?1 IS NULL OR ...") so that a cached
     * generic plan can never trade the index for a scan.
     */
    static String pendingList(boolean byQueue, boolean byUser) {
        return "SELECT * FROM job WHERE status = 'PENDING'" + (byQueue ? " AND queue = ?2" : "")
                + (byUser ? " AND user_id = ?3" : "") + " ORDER BY priority DESC, created_at, id LIMIT ?1";
    }

    /**
     * One user's counts: its settled jobs through job_user_id_idx, its held ones (DISPATCHED,
     * RUNNING, which that index leaves out) through job_running_idx.
     */
    public static final String USER_COUNTS = """
            SELECT status, fq_tier(priority), count(*) FROM (
                SELECT status, priority FROM job
                 WHERE user_id = ?1 AND (CAST(?2 AS text) IS NULL OR queue = ?2)
                   AND status <> ALL ('{DISPATCHED,RUNNING}')
                UNION ALL
                SELECT status, priority FROM job
                 WHERE user_id = ?1 AND (CAST(?2 AS text) IS NULL OR queue = ?2)
                   AND status = ANY ('{DISPATCHED,RUNNING}')) mine
             GROUP BY 1, 2
            """;

    /** Mean wait of the last 100 completed jobs (job_terminal_finished_idx / job_finished_idx, backwards). */
    static final String AVG_WAIT = """
            SELECT avg(extract(epoch FROM claimed_at - coalesce(scheduled_start_at, created_at))) FROM (
                SELECT claimed_at, scheduled_start_at, created_at FROM job
                 WHERE status = 'COMPLETED' AND (CAST(?1 AS text) IS NULL OR queue = ?1)
                 ORDER BY finished_at DESC LIMIT 100) recent
            """;

    static final String HOLDERS = """
            SELECT id, running, max_concurrent FROM fq_user
             WHERE running > 0 AND (CAST(?1 AS text) IS NULL OR id = ?1)
             ORDER BY running DESC, id LIMIT 500
            """;

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    JobPositions positions;

    @Inject
    SchedulingAdmin scheduling;

    public QueueOverview overview(Caller caller, String queueName, String userId, int limit) {
        String owner = userId;
        if (caller.role() == Role.USER) {
            if (userId != null && !userId.equals(caller.id())) {
                throw ProblemException.forbidden("a USER may view only its own jobs (userId)");
            }
            owner = caller.id();
        }
        Queue queue = null;
        if (queueName != null) {
            queue = em.find(Queue.class, queueName);
            if (queue == null) {
                throw badRequest("queue", "unknown queue '" + queueName + "'");
            }
        }
        if (owner != null && em.find(User.class, owner) == null) {
            throw badRequest("userId", "unknown user '" + owner + "'");
        }
        OffsetDateTime now = Time.now(clock);
        StatusCounts counts = new StatusCounts();
        List<?> rows = owner == null
                ? em.createNativeQuery("SELECT status, tier, n FROM fq_counts(?1)")
                        .setParameter(1, queueName)
                        .getResultList()
                : em.createNativeQuery(USER_COUNTS)
                        .setParameter(1, owner)
                        .setParameter(2, queueName)
                        .getResultList();
        for (Object o : rows) {
            Object[] row = (Object[]) o;
            counts.add((String) row[0], ((Number) row[1]).intValue(), ((Number) row[2]).longValue());
        }
        long slotsUsed = counts.slotsUsed();
        Integer slotsMax = queue != null
                ? queue.maxConcurrent()
                : em.find(Settings.class, Settings.ID).globalSlots();
        List<QueueOverview.UserSlots> byUser = new ArrayList<>();
        if (queue == null) {
            for (Object o : em.createNativeQuery(HOLDERS).setParameter(1, owner).getResultList()) {
                Object[] row = (Object[]) o;
                byUser.add(new QueueOverview.UserSlots(
                        (String) row[0], ((Number) row[1]).intValue(), ((Number) row[2]).intValue()));
            }
        } else {
            for (Object o : em.createNativeQuery("""
                    SELECT j.user_id, count(*), u.max_concurrent FROM job j JOIN fq_user u ON u.id = j.user_id
                     WHERE j.status IN ('DISPATCHED', 'RUNNING') AND j.queue = ?1
                       AND (CAST(?2 AS text) IS NULL OR j.user_id = ?2)
                     GROUP BY 1, 3 ORDER BY 2 DESC, 1 LIMIT 500""")
                    .setParameter(1, queueName)
                    .setParameter(2, owner)
                    .getResultList()) {
                Object[] row = (Object[]) o;
                byUser.add(new QueueOverview.UserSlots(
                        (String) row[0], ((Number) row[1]).intValue(), ((Number) row[2]).intValue()));
            }
        }
        List<SchedulingAdmin.Lock> locks = scheduling.locks(owner, queueName);
        Object avgWait =
                em.createNativeQuery(AVG_WAIT).setParameter(1, queueName).getSingleResult();

        var list = em.createNativeQuery(pendingList(queueName != null, owner != null), Job.class)
                .setParameter(1, limit);
        if (queueName != null) {
            list.setParameter(2, queueName);
        }
        if (owner != null) {
            list.setParameter(3, owner);
        }
        @SuppressWarnings("unchecked")
        List<Job> pending = list.getResultList();
        JobPositions.Placer placer = positions.placer(now);
        placer.prefetch(pending);
        List<JobView> jobs = new ArrayList<>(pending.size());
        for (int i = 0; i < pending.size(); i++) {
            Job j = pending.get(i);
            Long rank = (long) i + 1;
            Long position = queueName == null && owner == null ? rank : null;
            Long userPosition = queueName == null && owner != null ? rank : null;
            jobs.add(JobView.of(j, placer.placeListed(j, position, userPosition), null));
        }
        return new QueueOverview(
                queueName,
                owner,
                counts.byStatus(),
                new QueueOverview.Pending(counts.urgent(), counts.normal(), counts.background(), counts.pendingTotal()),
                new QueueOverview.Active(slotsUsed, slotsMax, byUser),
                locks,
                avgWait == null ? null : ((Number) avgWait).doubleValue(),
                jobs);
    }
}
