package io.fairqueue.jobs.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.control.CommitAttempt;
import io.fairqueue.platform.control.SqlArrays;
import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.json.JsonText;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.security.control.Caller;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * Creating jobs: one ({@code POST /jobs}, with an optional {@code Idempotency-Key}) or a batch
 * ({@code POST /jobs/batch}, all or none). Every job is checked before any is created (the
 * caller may submit for the owner, the owner and the queue exist); the job and its creation audit
 * row are written together. Answers carry no placement: {@link JobsResource} reads it after the
 * commit.
 */
@Stateless
public class JobSubmission {

    public record Submitted(JobView job, boolean created) {}

    /**
     * A single submit's outcome: the job as committed (without its placement), and false when its
     * idempotency key returned an earlier job.
     */
    public record Created(JobView job, boolean created) {
        public long id() {
            return job.id();
        }
    }

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    /**
     * Creates the job and commits; the answer has no placement yet. Placing it (position,
     * estimate, reason) reads counters that need not delay the commit, and with it the
     * NOTIFY that wakes a waiting worker: {@link JobsResource} places it in a second, read-only
     * transaction.
     */
    public Created submit(Caller caller, JobRequests.Submit r, String idempotencyKey, CommitAttempt<Created> attempt) {
        checkSubmits(caller, List.of(r), i -> "");
        Created created;
        if (idempotencyKey == null) {
            // the job and its audit row in one statement: the commit (and the NOTIFY that wakes a
            // waiting worker) comes a round trip or two sooner than with persist and flush
            OffsetDateTime now = Time.now(clock);
            created = new Created(
                    createdView(
                            caller,
                            r,
                            insertRows(caller, List.of(r), now, attempt).get(0),
                            now),
                    true);
        } else {
            Submitted s = create(caller, r, idempotencyKey, attempt);
            created = new Created(s.job(), s.created());
        }
        attempt.decided(created);
        return created;
    }

    /**
     * Creates every job of the batch in one transaction, or none: the first bad item answers 400
     * naming it ({@code jobs[3].queue}). Each answer is the job without its placement (positions
     * are a {@code GET /jobs/{id}} away); an item whose {@code idempotencyKey} was used before
     * answers the first job, {@code created} false.
     */
    public List<Submitted> submitBatch(
            Caller caller, JobRequests.SubmitBatch batch, CommitAttempt<List<Submitted>> attempt) {
        checkSubmits(caller, batch.jobs(), i -> "jobs[" + i + "].");
        // Keys first, in order (a single submit takes its key's lock before any user row), then users.
        TreeSet<String> keys = new TreeSet<>();
        for (int i = 0; i < batch.jobs().size(); i++) {
            String key = batch.idempotencyKeys().get(i);
            if (key != null) {
                JobRequests.Submit r = batch.jobs().get(i);
                keys.add((r.userId() == null ? caller.id() : r.userId()) + "\n" + key);
            }
        }
        for (String key : keys) {
            lockKey(key, attempt);
        }
        List<Submitted> out;
        if (keys.isEmpty()) {
            // one INSERT: its users' gates, shared, and no row lock, which would hide them from
            // claims for the whole INSERT (R__locks_and_bulk_moves.sql)
            lockUsers(SHARE_USER_GATES, caller, batch.jobs());
            out = insertAll(caller, batch.jobs(), attempt);
        } else {
            // an INSERT per job: the users' gates, then their rows in id order
            lockUsers(LOCK_USERS, caller, batch.jobs());
            out = new ArrayList<>(batch.jobs().size());
            for (int i = 0; i < batch.jobs().size(); i++) {
                out.add(create(
                        caller, batch.jobs().get(i), batch.idempotencyKeys().get(i), attempt));
            }
        }
        attempt.decided(out);
        return out;
    }

    /**
     * A batch without idempotency keys: one INSERT of every job and its creation audit row (a
     * data-modifying CTE, like the claim and the promotion), instead of a round trip per job.
     * The initial status is Job's constructor rule: SCHEDULED when the start lies ahead, else
     * PENDING.
     */
    static final String INSERT_ALL = """
            WITH items AS (
                SELECT * FROM unnest(CAST(?1 AS text[]), CAST(?2 AS text[]), CAST(?3 AS text[]), CAST(?4 AS text[]),
                                     CAST(?5 AS text[]), CAST(?6 AS int[]), CAST(?7 AS timestamptz[]), CAST(?8 AS boolean[]),
                                     CAST(?9 AS int[]))
                       WITH ORDINALITY AS i(queue, user_id, project_id, type, payload, priority, scheduled_start_at,
                                            off_peak_only, max_retries, ord)),
            ins AS (
                INSERT INTO job (queue, user_id, project_id, type, payload, priority, scheduled_start_at, off_peak_only,
                                 max_retries, created_at, status)
                SELECT i.queue, user_id, project_id, type, CAST(payload AS jsonb), priority, scheduled_start_at, off_peak_only,
                       coalesce(i.max_retries, q.max_retries), CAST(?10 AS timestamptz),
                       CASE WHEN scheduled_start_at > CAST(?10 AS timestamptz) THEN 'SCHEDULED' ELSE 'PENDING' END
                  FROM items i JOIN queue q ON q.name = i.queue ORDER BY ord
                RETURNING id, status, created_at, max_retries),
            audit AS (
                INSERT INTO job_transition (job_id, from_status, to_status, at, triggered_by)
                SELECT id, NULL, status, created_at, ?11 FROM ins)
            SELECT id, status, max_retries, """ + CommitAttempt.XID + """
             FROM ins ORDER BY id
            """;

    private List<Submitted> insertAll(Caller caller, List<JobRequests.Submit> jobs, CommitAttempt<?> attempt) {
        List<Long> idList = insertIds(caller, jobs, attempt);
        Map<Long, Job> byId = new HashMap<>();
        em.createQuery("SELECT j FROM Job j WHERE j.id IN :ids", Job.class)
                .setParameter("ids", idList)
                .getResultList()
                .forEach(j -> byId.put(j.id(), j));
        return idList.stream()
                .map(id -> new Submitted(JobView.of(byId.get(id)), true))
                .toList();
    }

    /** Inserts the jobs and their creation audit rows with {@link #INSERT_ALL}; their ids in request order. */
    private List<Long> insertIds(Caller caller, List<JobRequests.Submit> jobs, CommitAttempt<?> attempt) {
        return insertRows(caller, jobs, Time.now(clock), attempt).stream()
                .map(row -> ((Number) row[0]).longValue())
                .toList();
    }

    /**
     * The job as its INSERT committed it, built without another read: the answer of a submit must
     * not depend on a later transaction (a job that exists is never answered with an error).
     */
    private static JobView createdView(Caller caller, JobRequests.Submit r, Object[] row, OffsetDateTime created) {
        long id = ((Number) row[0]).longValue();
        int priority = r.priority() == null ? 0 : r.priority();
        return new JobView(
                id,
                r.queue() == null ? Queue.DEFAULT : r.queue(),
                r.userId() == null ? caller.id() : r.userId(),
                r.projectId(),
                r.type(),
                r.payload() == null ? null : JsonText.parse(r.payload()),
                priority,
                JobView.tier(priority),
                JobStatus.valueOf((String) row[1]),
                utcMicros(r.scheduledStartAt()),
                Boolean.TRUE.equals(r.offPeakOnly()),
                0,
                ((Number) row[2]).intValue(),
                null,
                null,
                null,
                created,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    private static OffsetDateTime utcMicros(OffsetDateTime t) {
        return t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * Inserts with {@link #INSERT_ALL}: each job's id, status and max_retries, in request order;
     * tells {@code attempt} the transaction's id.
     */
    private List<Object[]> insertRows(
            Caller caller, List<JobRequests.Submit> jobs, OffsetDateTime now, CommitAttempt<?> attempt) {
        List<String> queues = new ArrayList<>();
        List<String> users = new ArrayList<>();
        List<String> projects = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<String> payloads = new ArrayList<>();
        List<String> priorities = new ArrayList<>();
        List<String> starts = new ArrayList<>();
        List<String> offPeak = new ArrayList<>();
        List<String> retries = new ArrayList<>();
        for (JobRequests.Submit r : jobs) {
            queues.add(r.queue() == null ? Queue.DEFAULT : r.queue());
            users.add(r.userId() == null ? caller.id() : r.userId());
            projects.add(r.projectId());
            types.add(r.type());
            payloads.add(r.payload());
            priorities.add(Integer.toString(r.priority() == null ? 0 : r.priority()));
            starts.add(
                    r.scheduledStartAt() == null
                            ? null
                            : utcMicros(r.scheduledStartAt()).toString());
            offPeak.add(Boolean.toString(Boolean.TRUE.equals(r.offPeakOnly())));
            retries.add(r.maxRetries() == null ? null : Integer.toString(r.maxRetries())); // null: the queue's
        }
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery(INSERT_ALL)
                .setParameter(1, SqlArrays.of(queues))
                .setParameter(2, SqlArrays.of(users))
                .setParameter(3, SqlArrays.of(projects))
                .setParameter(4, SqlArrays.of(types))
                .setParameter(5, SqlArrays.of(payloads))
                .setParameter(6, SqlArrays.of(priorities))
                .setParameter(7, SqlArrays.of(starts))
                .setParameter(8, SqlArrays.of(offPeak))
                .setParameter(9, SqlArrays.of(retries))
                .setParameter(10, now)
                .setParameter(11, caller.id())
                .getResultList();
        if (!rows.isEmpty()) {
            attempt.began(((Number) rows.get(0)[3]).longValue());
            attempt.wrote(((Number) rows.get(0)[0]).longValue());
        }
        return rows;
    }

    /** A batch of one INSERT per job: its users' gates, then their rows in id order. */
    static final String LOCK_USERS = "SELECT 1 FROM fq_lock_user_ids(CAST(?1 AS text[]))";

    /** A batch of one INSERT: its users' gates, shared; no row lock. */
    static final String SHARE_USER_GATES = "SELECT 1 FROM fq_user_gates(CAST(?1 AS text[]), true)";

    /**
     * Takes the batch's users with {@code sql} before any job is inserted: {@link #LOCK_USERS} for
     * a batch of one INSERT per job, whose lane updates then happen in the one order every move of
     * several users in several statements uses; {@link #SHARE_USER_GATES} for one INSERT of every
     * job (its trigger takes guards and lanes in key order itself). Either way no two batches, nor
     * a batch and the promoter, a bulk move or a claim's outcomes, can deadlock
     * (R__locks_and_bulk_moves.sql).
     */
    private void lockUsers(String sql, Caller caller, List<JobRequests.Submit> jobs) {
        String users = SqlArrays.of(jobs.stream()
                .map(r -> r.userId() == null ? caller.id() : r.userId())
                .distinct()
                .toList());
        em.createNativeQuery(sql).setParameter(1, users).getSingleResult();
    }

    /** The owners and queues of the jobs that do not exist: one round trip for a whole batch. */
    static final String MISSING = """
            SELECT 'userId', u FROM unnest(CAST(?1 AS text[])) u WHERE NOT EXISTS (SELECT 1 FROM fq_user WHERE id = u)
            UNION ALL
            SELECT 'queue', q FROM unnest(CAST(?2 AS text[])) q WHERE NOT EXISTS (SELECT 1 FROM queue WHERE name = q)
            """;

    /**
     * Checks jobs before any is created, item by item in order: the caller may submit for the
     * owner, the owner and the queue exist. The first bad item answers 403 or 400 naming its field.
     */
    private void checkSubmits(Caller caller, List<JobRequests.Submit> jobs, IntFunction<String> at) {
        List<String> owners = jobs.stream()
                .map(r -> r.userId() == null ? caller.id() : r.userId())
                .toList();
        List<String> queueNames = jobs.stream()
                .map(r -> r.queue() == null ? Queue.DEFAULT : r.queue())
                .toList();
        Set<String> missing = new HashSet<>();
        for (Object row : em.createNativeQuery(MISSING)
                .setParameter(1, SqlArrays.of(owners.stream().distinct().toList()))
                .setParameter(2, SqlArrays.of(queueNames.stream().distinct().toList()))
                .getResultList()) {
            Object[] r = (Object[]) row;
            missing.add(r[0] + "\n" + r[1]);
        }
        for (int i = 0; i < jobs.size(); i++) {
            if (!owners.get(i).equals(caller.id()) && !caller.isAdmin()) {
                throw ProblemException.forbidden(
                        "only an ADMIN may submit a job for another user (" + at.apply(i) + "userId)");
            }
            if (missing.contains("userId\n" + owners.get(i))) {
                throw badRequest(at.apply(i) + "userId", "unknown user '" + owners.get(i) + "'");
            }
            if (missing.contains("queue\n" + queueNames.get(i))) {
                throw badRequest(at.apply(i) + "queue", "unknown queue '" + queueNames.get(i) + "'");
            }
        }
    }

    /**
     * Takes the lock of one (user, idempotency key), which serializes submits with the same key;
     * tells {@code attempt} the transaction's id, read in this statement to save a round trip (it
     * gives a replay, which writes nothing, an id too: a commit record in the WAL, on a path that
     * is rare).
     */
    private void lockKey(String userAndKey, CommitAttempt<?> attempt) {
        Number xid = (Number) em.createNativeQuery(
                        "SELECT " + CommitAttempt.XID + " FROM pg_advisory_xact_lock(hashtextextended(?1, 7))")
                .setParameter(1, userAndKey)
                .getSingleResult();
        attempt.began(xid.longValue());
    }

    /** Creates one job (or finds the first of its idempotency key); the answer has no placement. */
    private Submitted create(Caller caller, JobRequests.Submit r, String idempotencyKey, CommitAttempt<?> attempt) {
        String owner = r.userId() == null ? caller.id() : r.userId();
        String queueName = r.queue() == null ? Queue.DEFAULT : r.queue();
        Queue queue = em.find(Queue.class, queueName);
        if (idempotencyKey != null) {
            // Serializes submits with the same (user, key) so the second one finds the first.
            lockKey(owner + "\n" + idempotencyKey, attempt);
            List<Job> existing = em.createQuery(
                            "SELECT j FROM Job j WHERE j.userId = :u AND j.idempotencyKey = :k", Job.class)
                    .setParameter("u", owner)
                    .setParameter("k", idempotencyKey)
                    .getResultList();
            if (!existing.isEmpty()) {
                return new Submitted(JobView.of(existing.get(0)), false);
            }
        }
        OffsetDateTime now = Time.now(clock);
        OffsetDateTime start = r.scheduledStartAt() == null
                ? null
                : r.scheduledStartAt().withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        Job job = new Job(
                queueName,
                owner,
                r.projectId(),
                r.type(),
                r.payload(),
                r.priority() == null ? 0 : r.priority(),
                start,
                Boolean.TRUE.equals(r.offPeakOnly()),
                r.maxRetries() == null ? queue.maxRetries() : r.maxRetries(),
                null,
                idempotencyKey,
                now);
        em.persist(job);
        em.flush();
        attempt.wrote(job.id());
        em.persist(job.created(caller.id(), null));
        return new Submitted(JobView.of(job), true);
    }
}
