package io.fairqueue.jobs.control;

import io.fairqueue.jobs.boundary.JobView.Placement;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.WaitingReason;
import io.fairqueue.platform.control.SqlArrays;
import io.fairqueue.policies.control.OffPeakWindows;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.scheduling.entity.Settings;
import io.fairqueue.users.entity.User;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a waiting job stands: {@code position} (1 + PENDING jobs ahead in priority desc,
 * createdAt, id; fairness ignored), {@code userPosition} (the same among the user's own jobs),
 * {@code estimatedStartAt} and {@code waitingReasons} (every rule that holds it back, in the
 * order the claim checks them; see {@link WaitingReason}).
 *
 * <p>Positions come from {@code fq_position}: per-minute counts ahead of the job plus an index count
 * within its own minute, so they cost the same at any backlog; the reason reads the counters the
 * claim uses.
 */
@Dependent
public class JobPositions {

    /** See fq_position (R__counts_and_positions.sql): counts per minute plus the job's own minute from the index. */
    static final String POSITION = "SELECT fq_position(CAST(?1 AS smallint), CAST(?2 AS timestamptz), ?3, ?4)";

    /** Mean run time of the queue's last 100 completed jobs (job_finished_idx, read backwards). */
    static final String RECENT_DURATION = """
            SELECT avg(actual_duration_secs) FROM (
                SELECT actual_duration_secs FROM job
                 WHERE queue = ?1 AND status = 'COMPLETED'
                 ORDER BY finished_at DESC LIMIT 100) recent
            """;

    /** Workers heard from in the last two minutes. */
    static final String ACTIVE_WORKERS = "SELECT count(*) FROM worker WHERE last_heartbeat_at >= ?1";

    static final String QUOTA_BLOCKED = "SELECT fq_quota_blocked_until(?1, ?2, CAST(?3 AS timestamptz)) IS NOT NULL";

    static final double DEFAULT_DURATION_SECS = 60.0;

    @PersistenceContext
    EntityManager em;

    @Inject
    OffPeakWindows offPeak;

    /**
     * One job's placement in one statement: its positions, the queue's recent durations, the
     * active workers and every counter its waiting reason reads (a submit's answer and
     * {@code GET /jobs/{id}} cost one round trip for it, not nine).
     */
    static final String PLACE = """
            SELECT fq_position(j.priority, j.created_at, j.id, NULL),
                   fq_position(j.priority, j.created_at, j.id, j.user_id),
                   (SELECT avg(actual_duration_secs) FROM (
                        SELECT r.actual_duration_secs FROM job r
                         WHERE r.queue = j.queue AND r.status = 'COMPLETED'
                         ORDER BY r.finished_at DESC LIMIT 100) recent),
                   (SELECT count(*) FROM worker WHERE last_heartbeat_at >= CAST(?3 AS timestamptz)),
                   q.paused, q.max_concurrent,
                   CASE WHEN q.max_concurrent IS NOT NULL THEN fq_queue_running(q.name) END,
                   u.running, u.max_concurrent,
                   fq_quota_blocked_until(j.user_id, j.project_id, CAST(?2 AS timestamptz)) IS NOT NULL,
                   s.per_user_serialization, s.global_slots, s.running
              FROM job j JOIN queue q ON q.name = j.queue JOIN fq_user u ON u.id = j.user_id
                   JOIN settings s ON s.id = 1
             WHERE j.id = ?1
            """;

    public Placement place(Job job, OffsetDateTime now) {
        return switch (job.status()) {
            case SCHEDULED, RETRY_WAIT -> waiting(job);
            case PENDING -> placePending(job, now);
            default -> Placement.NONE;
        };
    }

    /** {@link #PLACE}'s columns, in its SELECT order. */
    private enum Col {
        POSITION,
        USER_POSITION,
        AVG_DURATION,
        ACTIVE_WORKERS,
        QUEUE_PAUSED,
        QUEUE_MAX,
        QUEUE_RUNNING,
        USER_RUNNING,
        USER_MAX,
        QUOTA_BLOCKED,
        PER_USER_SERIALIZATION,
        GLOBAL_SLOTS,
        GLOBAL_RUNNING;

        Number number(Object[] row) {
            return (Number) row[ordinal()];
        }

        Integer integer(Object[] row) {
            return row[ordinal()] == null ? null : number(row).intValue();
        }

        boolean flag(Object[] row) {
            return Boolean.TRUE.equals(row[ordinal()]);
        }
    }

    private Placement placePending(Job job, OffsetDateTime now) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery(PLACE)
                .setParameter(1, job.id())
                .setParameter(2, now)
                .setParameter(3, now.minusMinutes(2))
                .getResultList();
        if (rows.isEmpty()) { // archived meanwhile
            return Placement.NONE;
        }
        Object[] r = rows.get(0);
        long position = Col.POSITION.number(r).longValue();
        double duration = r[Col.AVG_DURATION.ordinal()] == null
                ? DEFAULT_DURATION_SECS
                : Col.AVG_DURATION.number(r).doubleValue();
        Integer globalSlots = Col.GLOBAL_SLOTS.integer(r);
        Facts facts = new Facts(
                Col.QUEUE_PAUSED.flag(r),
                Col.QUEUE_MAX.integer(r),
                r[Col.QUEUE_RUNNING.ordinal()] == null ? 0 : Col.QUEUE_RUNNING.integer(r),
                Col.USER_RUNNING.integer(r),
                Col.USER_MAX.integer(r),
                Col.QUOTA_BLOCKED.flag(r),
                Col.PER_USER_SERIALIZATION.flag(r),
                globalSlots,
                Col.GLOBAL_RUNNING.integer(r));
        return new Placement(
                position,
                Col.USER_POSITION.number(r).longValue(),
                estimate(now, position, duration, Col.ACTIVE_WORKERS.number(r).longValue(), globalSlots),
                reasons(job, facts, () -> offPeak.isOpen(now)));
    }

    private static Placement waiting(Job job) {
        return job.status() == io.fairqueue.jobs.entity.JobStatus.SCHEDULED
                ? new Placement(null, null, job.scheduledStartAt(), List.of(WaitingReason.SCHEDULED))
                : new Placement(null, null, job.nextRetryAt(), List.of(WaitingReason.RETRY_BACKOFF));
    }

    /** {@code now + position * avgDuration / slots}; slots: the active workers, else the global slots, else 1. */
    static OffsetDateTime estimate(
            OffsetDateTime now, long position, double durationSecs, long workers, Integer globalSlots) {
        long slots = workers > 0 ? workers : globalSlots != null ? globalSlots : 1;
        double perJob = durationSecs / Math.max(1, slots);
        return now.plusNanos((long) (position * perJob * 1_000_000_000L));
    }

    /** What a waiting job's reason depends on, besides the job and the off-peak window. */
    record Facts(
            boolean queuePaused,
            Integer queueMax,
            int queueRunning,
            int userRunning,
            int userMax,
            boolean quotaBlocked,
            boolean perUserSerialization,
            Integer globalSlots,
            int globalRunning) {}

    /**
     * Every rule that holds a PENDING job back, in the order the claim checks them (the first is
     * its {@code waitingReason}); {@code [AHEAD_IN_QUEUE]} when none does. The one place that
     * decides a waiting reason: a single job's placement and the queue view both come here.
     */
    static List<WaitingReason> reasons(Job job, Facts f, java.util.function.BooleanSupplier offPeakOpen) {
        List<WaitingReason> out = new ArrayList<>(2);
        if (f.queuePaused()) {
            out.add(WaitingReason.QUEUE_PAUSED);
        }
        if (job.offPeakOnly() && !offPeakOpen.getAsBoolean()) {
            out.add(WaitingReason.OFF_PEAK_WINDOW);
        }
        if (f.quotaBlocked()) {
            out.add(WaitingReason.QUOTA_EXCEEDED);
        }
        if (f.perUserSerialization() && f.userRunning() >= f.userMax()) {
            out.add(WaitingReason.USER_LIMIT);
        }
        if (f.queueMax() != null && f.queueRunning() >= f.queueMax()) {
            out.add(WaitingReason.QUEUE_LIMIT);
        }
        if (f.globalSlots() != null && f.globalRunning() >= f.globalSlots()) {
            out.add(WaitingReason.GLOBAL_SLOTS);
        }
        return out.isEmpty() ? List.of(WaitingReason.AHEAD_IN_QUEUE) : List.copyOf(out);
    }

    /** Places many jobs against one read of the settings, the active workers and each queue's recent durations. */
    public Placer placer(OffsetDateTime now) {
        return new Placer(now);
    }

    /** Placements at one moment; caches what every job of one answer shares. */
    public final class Placer {

        private final OffsetDateTime now;
        private final Settings settings;
        private final long workers;
        private final Map<String, Double> durations = new HashMap<>();
        private final Map<String, Queue> queues = new HashMap<>();
        /** A limited queue's running count: queue.running plus its released slots (fq_queue_running, R__claim.sql). */
        private final Map<String, Integer> queueRunning = new HashMap<>();

        private final Map<String, User> users = new HashMap<>();
        private final Map<String, Boolean> quotaBlocked = new HashMap<>();
        private Boolean offPeakOpen;

        Placer(OffsetDateTime now) {
            this.now = now;
            this.settings = em.find(Settings.class, Settings.ID);
            this.workers = activeWorkers(now);
        }

        /**
         * A PENDING job of a list (the queue view), its users and quotas read by {@link #prefetch}.
         *
         * @param position     its position when known (row k of the unfiltered pending order is
         *                     position k), else null: computed
         * @param userPosition its userPosition when known (row k of one user's list), else null:
         *                     left out, as a list computing it per row would cost a count per row
         */
        public Placement placeListed(Job job, Long position, Long userPosition) {
            return pending(job, position != null ? position : position(job, null), userPosition);
        }

        /** Reads the users and the quota state of these jobs in two statements. */
        public void prefetch(List<Job> jobs) {
            List<String> ids = jobs.stream()
                    .map(Job::userId)
                    .distinct()
                    .filter(u -> !users.containsKey(u))
                    .toList();
            if (!ids.isEmpty()) {
                em.createQuery("SELECT u FROM User u WHERE u.id IN :ids", User.class)
                        .setParameter("ids", ids)
                        .getResultList()
                        .forEach(u -> users.put(u.id(), u));
            }
            List<Job> keys = jobs.stream()
                    .filter(j -> !quotaBlocked.containsKey(quotaKey(j)))
                    .collect(java.util.stream.Collectors.toMap(JobPositions::quotaKey, j -> j, (a, b) -> a))
                    .values()
                    .stream()
                    .toList();
            if (keys.isEmpty()) {
                return;
            }
            for (Object o : em.createNativeQuery("""
                    SELECT k.u, k.p, fq_quota_blocked_until(k.u, k.p, CAST(?3 AS timestamptz)) IS NOT NULL
                      FROM unnest(CAST(?1 AS text[]), CAST(?2 AS text[])) AS k(u, p)""")
                    .setParameter(1, SqlArrays.of(keys.stream().map(Job::userId).toList()))
                    .setParameter(
                            2, SqlArrays.of(keys.stream().map(Job::projectId).toList()))
                    .setParameter(3, now)
                    .getResultList()) {
                Object[] row = (Object[]) o;
                quotaBlocked.put(row[0] + "\n" + row[1], Boolean.TRUE.equals(row[2]));
            }
        }

        private Placement pending(Job job, long position, Long userPosition) {
            double duration = durations.computeIfAbsent(job.queue(), JobPositions.this::averageDuration);
            return new Placement(
                    position,
                    userPosition,
                    estimate(now, position, duration, workers, settings.globalSlots()),
                    reasons(job));
        }

        private List<WaitingReason> reasons(Job job) {
            Queue queue = queues.computeIfAbsent(job.queue(), q -> em.find(Queue.class, q));
            User user = users.computeIfAbsent(job.userId(), u -> em.find(User.class, u));
            boolean blocked = quotaBlocked.computeIfAbsent(
                    quotaKey(job),
                    k -> Boolean.TRUE.equals(em.createNativeQuery(QUOTA_BLOCKED)
                            .setParameter(1, job.userId())
                            .setParameter(2, job.projectId())
                            .setParameter(3, now)
                            .getSingleResult()));
            int running = queue.maxConcurrent() == null
                    ? 0
                    : queueRunning.computeIfAbsent(
                            queue.name(),
                            q -> ((Number) em.createNativeQuery("SELECT fq_queue_running(?1)")
                                            .setParameter(1, q)
                                            .getSingleResult())
                                    .intValue());
            Facts facts = new Facts(
                    queue.paused(),
                    queue.maxConcurrent(),
                    running,
                    user.running(),
                    user.maxConcurrent(),
                    blocked,
                    settings.perUserSerialization(),
                    settings.globalSlots(),
                    settings.running());
            return JobPositions.reasons(job, facts, () -> {
                if (offPeakOpen == null) {
                    offPeakOpen = offPeak.isOpen(now);
                }
                return offPeakOpen;
            });
        }
    }

    static String quotaKey(Job j) {
        return j.userId() + "\n" + j.projectId();
    }

    private long position(Job job, String ofUser) {
        return ((Number) em.createNativeQuery(POSITION)
                        .setParameter(1, job.priority())
                        .setParameter(2, job.createdAt())
                        .setParameter(3, job.id())
                        .setParameter(4, ofUser)
                        .getSingleResult())
                .longValue();
    }

    private double averageDuration(String queue) {
        Object avg =
                em.createNativeQuery(RECENT_DURATION).setParameter(1, queue).getSingleResult();
        return avg == null ? DEFAULT_DURATION_SECS : ((Number) avg).doubleValue();
    }

    private long activeWorkers(OffsetDateTime now) {
        return ((Number) em.createNativeQuery(ACTIVE_WORKERS)
                        .setParameter(1, now.minusMinutes(2))
                        .getSingleResult())
                .longValue();
    }
}
