package io.fairqueue.jobs.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.jobs.control.AuditLog;
import io.fairqueue.jobs.control.BulkCancel;
import io.fairqueue.jobs.control.JobViews;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.jobs.entity.Transition;
import io.fairqueue.platform.control.SqlArrays;
import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.queues.boundary.QueueView;
import io.fairqueue.queues.entity.Queue;
import io.fairqueue.security.control.Caller;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.TypedQuery;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Jobs as their owners and admins see them: submit, look up, list, pause, resume, cancel,
 * audit log, dead letters, retry-as-new, clear a queue. A USER sees only its own jobs; another
 * user's job answers 404, as if it did not exist.
 */
@Stateless
public class JobService {

    public record Submitted(JobView job, boolean created) {
    }

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

    @Inject
    AuditLog audit;

    @Inject
    JobViews views;

    @Inject
    BulkCancel bulkCancel;

    /**
     * Creates the job and commits; the answer has no placement yet. Placing it (position,
     * estimate, reason) reads counters that need not delay the commit, and with it the
     * NOTIFY that wakes a waiting worker: {@link JobsResource} places it in a second, read-only
     * transaction.
     */
    public Created submit(Caller caller, JobRequests.Submit r, String idempotencyKey) {
        checkSubmits(caller, List.of(r), i -> "");
        if (idempotencyKey == null) {
            // the job and its audit row in one statement: the commit (and the NOTIFY that wakes a
            // waiting worker) comes a round trip or two sooner than with persist and flush
            OffsetDateTime now = Time.now(clock);
            return new Created(createdView(caller, r, insertRows(caller, List.of(r), now).get(0), now), true);
        }
        Submitted s = create(caller, r, idempotencyKey);
        return new Created(s.job(), s.created());
    }

    /**
     * Creates every job of the batch in one transaction, or none: the first bad item answers 400
     * naming it ({@code jobs[3].queue}). Each answer is the job without its placement (positions
     * are a {@code GET /jobs/{id}} away); an item whose {@code idempotencyKey} was used before
     * answers the first job, {@code created} false.
     */
    public List<Submitted> submitBatch(Caller caller, JobRequests.SubmitBatch batch) {
        checkSubmits(caller, batch.jobs(), i -> "jobs[" + i + "].");
        // Keys first, in order (a single submit takes its key's lock before any user row), then users.
        java.util.TreeSet<String> keys = new java.util.TreeSet<>();
        for (int i = 0; i < batch.jobs().size(); i++) {
            String key = batch.idempotencyKeys().get(i);
            if (key != null) {
                JobRequests.Submit r = batch.jobs().get(i);
                keys.add((r.userId() == null ? caller.id() : r.userId()) + "\n" + key);
            }
        }
        for (String key : keys) {
            em.createNativeQuery("SELECT 1 FROM pg_advisory_xact_lock(hashtextextended(?1, 7))")
                    .setParameter(1, key).getSingleResult();
        }
        lockUsers(caller, batch.jobs());
        if (keys.isEmpty()) {
            return insertAll(caller, batch.jobs());
        }
        List<Submitted> out = new java.util.ArrayList<>(batch.jobs().size());
        for (int i = 0; i < batch.jobs().size(); i++) {
            out.add(create(caller, batch.jobs().get(i), batch.idempotencyKeys().get(i)));
        }
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
            SELECT id, status, max_retries FROM ins ORDER BY id
            """;

    private List<Submitted> insertAll(Caller caller, List<JobRequests.Submit> jobs) {
        List<Long> idList = insertIds(caller, jobs);
        java.util.Map<Long, Job> byId = new java.util.HashMap<>();
        em.createQuery("SELECT j FROM Job j WHERE j.id IN :ids", Job.class).setParameter("ids", idList)
                .getResultList().forEach(j -> byId.put(j.id(), j));
        return idList.stream().map(id -> new Submitted(JobView.of(byId.get(id)), true)).toList();
    }

    /** Inserts the jobs and their creation audit rows with {@link #INSERT_ALL}; their ids in request order. */
    private List<Long> insertIds(Caller caller, List<JobRequests.Submit> jobs) {
        return insertRows(caller, jobs, Time.now(clock)).stream().map(row -> ((Number) row[0]).longValue()).toList();
    }

    /**
     * The job as its INSERT committed it, built without another read: the answer of a submit must
     * not depend on a later transaction (a job that exists is never answered with an error).
     */
    private static JobView createdView(Caller caller, JobRequests.Submit r, Object[] row, OffsetDateTime created) {
        long id = ((Number) row[0]).longValue();
        int priority = r.priority() == null ? 0 : r.priority();
        return new JobView(id, r.queue() == null ? Queue.DEFAULT : r.queue(), r.userId() == null ? caller.id() : r.userId(),
                r.projectId(), r.type(), r.payload() == null ? null : io.fairqueue.platform.json.JsonText.parse(r.payload()),
                priority, JobView.tier(priority), JobStatus.valueOf((String) row[1]), utcMicros(r.scheduledStartAt()),
                Boolean.TRUE.equals(r.offPeakOnly()), 0, ((Number) row[2]).intValue(), null, null, null, created, null, null,
                null, null, null, null, null, null, null, null, null, null);
    }

    private static OffsetDateTime utcMicros(OffsetDateTime t) {
        return t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    /** Inserts with {@link #INSERT_ALL}: each job's id, status and max_retries, in request order. */
    private List<Object[]> insertRows(Caller caller, List<JobRequests.Submit> jobs, OffsetDateTime now) {
        List<String> queues = new java.util.ArrayList<>();
        List<String> users = new java.util.ArrayList<>();
        List<String> projects = new java.util.ArrayList<>();
        List<String> types = new java.util.ArrayList<>();
        List<String> payloads = new java.util.ArrayList<>();
        List<String> priorities = new java.util.ArrayList<>();
        List<String> starts = new java.util.ArrayList<>();
        List<String> offPeak = new java.util.ArrayList<>();
        List<String> retries = new java.util.ArrayList<>();
        for (JobRequests.Submit r : jobs) {
            queues.add(r.queue() == null ? Queue.DEFAULT : r.queue());
            users.add(r.userId() == null ? caller.id() : r.userId());
            projects.add(r.projectId());
            types.add(r.type());
            payloads.add(r.payload());
            priorities.add(Integer.toString(r.priority() == null ? 0 : r.priority()));
            starts.add(r.scheduledStartAt() == null ? null : utcMicros(r.scheduledStartAt()).toString());
            offPeak.add(Boolean.toString(Boolean.TRUE.equals(r.offPeakOnly())));
            retries.add(r.maxRetries() == null ? null : Integer.toString(r.maxRetries())); // null: the queue's
        }
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery(INSERT_ALL)
                .setParameter(1, SqlArrays.of(queues)).setParameter(2, SqlArrays.of(users)).setParameter(3, SqlArrays.of(projects))
                .setParameter(4, SqlArrays.of(types)).setParameter(5, SqlArrays.of(payloads)).setParameter(6, SqlArrays.of(priorities))
                .setParameter(7, SqlArrays.of(starts)).setParameter(8, SqlArrays.of(offPeak)).setParameter(9, SqlArrays.of(retries))
                .setParameter(10, now).setParameter(11, caller.id())
                .getResultList();
        return rows;
    }

    /**
     * Locks the batch's users in id order before any job is inserted: each job's lane update
     * happens under its user's lock then, in the one order every multi-user move uses, so two
     * batches (or a batch and a batch complete) cannot deadlock.
     */
    private void lockUsers(Caller caller, List<JobRequests.Submit> jobs) {
        String users = SqlArrays.of(jobs.stream().map(r -> r.userId() == null ? caller.id() : r.userId()).distinct().toList());
        em.createNativeQuery("SELECT 1 FROM fq_lock_user_ids(CAST(?1 AS text[]))").setParameter(1, users)
                .getSingleResult();
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
    private void checkSubmits(Caller caller, List<JobRequests.Submit> jobs, java.util.function.IntFunction<String> at) {
        List<String> owners = jobs.stream().map(r -> r.userId() == null ? caller.id() : r.userId()).toList();
        List<String> queueNames = jobs.stream().map(r -> r.queue() == null ? Queue.DEFAULT : r.queue()).toList();
        java.util.Set<String> missing = new java.util.HashSet<>();
        for (Object row : em.createNativeQuery(MISSING)
                .setParameter(1, SqlArrays.of(owners.stream().distinct().toList()))
                .setParameter(2, SqlArrays.of(queueNames.stream().distinct().toList()))
                .getResultList()) {
            Object[] r = (Object[]) row;
            missing.add(r[0] + "\n" + r[1]);
        }
        for (int i = 0; i < jobs.size(); i++) {
            if (!owners.get(i).equals(caller.id()) && !caller.isAdmin()) {
                throw ProblemException.forbidden("only an ADMIN may submit a job for another user (" + at.apply(i) + "userId)");
            }
            if (missing.contains("userId\n" + owners.get(i))) {
                throw badRequest(at.apply(i) + "userId", "unknown user '" + owners.get(i) + "'");
            }
            if (missing.contains("queue\n" + queueNames.get(i))) {
                throw badRequest(at.apply(i) + "queue", "unknown queue '" + queueNames.get(i) + "'");
            }
        }
    }

    /** Creates one job (or finds the first of its idempotency key); the answer has no placement. */
    private Submitted create(Caller caller, JobRequests.Submit r, String idempotencyKey) {
        String owner = r.userId() == null ? caller.id() : r.userId();
        String queueName = r.queue() == null ? Queue.DEFAULT : r.queue();
        Queue queue = em.find(Queue.class, queueName);
        if (idempotencyKey != null) {
            // Serializes submits with the same (user, key) so the second one finds the first.
            em.createNativeQuery("SELECT 1 FROM pg_advisory_xact_lock(hashtextextended(?1, 7))")
                    .setParameter(1, owner + "\n" + idempotencyKey).getSingleResult();
            List<Job> existing = em.createQuery(
                            "SELECT j FROM Job j WHERE j.userId = :u AND j.idempotencyKey = :k", Job.class)
                    .setParameter("u", owner).setParameter("k", idempotencyKey).getResultList();
            if (!existing.isEmpty()) {
                return new Submitted(JobView.of(existing.get(0)), false);
            }
        }
        OffsetDateTime now = Time.now(clock);
        OffsetDateTime start = r.scheduledStartAt() == null ? null
                : r.scheduledStartAt().withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        Job job = new Job(queueName, owner, r.projectId(), r.type(), r.payload(),
                r.priority() == null ? 0 : r.priority(), start, Boolean.TRUE.equals(r.offPeakOnly()),
                r.maxRetries() == null ? queue.maxRetries() : r.maxRetries(), null, idempotencyKey, now);
        em.persist(job);
        em.flush();
        em.persist(job.created(caller.id(), null));
        return new Submitted(JobView.of(job), true);
    }

    public JobView get(Caller caller, long id) {
        return view(visible(caller, id, LockModeType.NONE, false));
    }

    public JobView.Page list(Caller caller, JobStatus status, String queue, String userId, int limit, String cursor) {
        String owner = userId;
        if (caller.role() == io.fairqueue.users.entity.Role.USER) {
            if (userId != null && !userId.equals(caller.id())) {
                throw ProblemException.forbidden("a USER may list only its own jobs (userId)");
            }
            owner = caller.id();
        }
        StringBuilder jpql = new StringBuilder("SELECT j FROM Job j WHERE 1 = 1");
        Map<String, Object> params = new HashMap<>();
        if (status != null) {
            jpql.append(" AND j.status = :status");
            params.put("status", status);
        }
        if (queue != null) {
            jpql.append(" AND j.queue = :queue");
            params.put("queue", queue);
        }
        if (owner != null) {
            jpql.append(" AND j.userId = :owner");
            params.put("owner", owner);
        }
        if (cursor != null) {
            jpql.append(" AND j.id < :cursor");
            params.put("cursor", decodeCursor(cursor));
        }
        jpql.append(" ORDER BY j.id DESC");
        TypedQuery<Job> q = em.createQuery(jpql.toString(), Job.class).setMaxResults(limit + 1);
        params.forEach(q::setParameter);
        List<Job> rows = q.getResultList();
        List<JobView> items = rows.stream().limit(limit).map(JobView::of).toList();
        String next = rows.size() > limit ? encodeCursor(rows.get(limit - 1).id()) : null;
        return new JobView.Page(items, next);
    }

    public JobView pause(Caller caller, long id, String reason) {
        Job job = visible(caller, id, LockModeType.PESSIMISTIC_WRITE, true);
        audit.record(job.pause(Time.now(clock), caller.id(), reason));
        return view(job);
    }

    public JobView resume(Caller caller, long id) {
        Job job = visible(caller, id, LockModeType.PESSIMISTIC_WRITE, true);
        audit.record(job.resume(Time.now(clock), caller.id()));
        return view(job);
    }

    public JobView cancel(Caller caller, long id, String reason) {
        Job job = visible(caller, id, LockModeType.PESSIMISTIC_WRITE, true);
        audit.record(job.cancel(Time.now(clock), caller.id(), reason));
        return view(job);
    }

    /** An admin's new priority for a waiting job, logged as a transition with the same from and to status. */
    public JobView reorder(Caller caller, long id, int priority, String reason) {
        Job job = em.find(Job.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (job == null) {
            throw ProblemException.notFound("job", id);
        }
        audit.record(job.reprioritize(priority, Time.now(clock), caller.id(), reason));
        return view(job);
    }

    public List<JobView.TransitionView> transitions(Caller caller, long id) {
        visible(caller, id, LockModeType.NONE, false);
        return em.createQuery("SELECT t FROM Transition t WHERE t.jobId = :id ORDER BY t.id", Transition.class)
                .setParameter("id", id).getResultList().stream().map(JobView.TransitionView::of).toList();
    }

    /** The dead-letter queue: FAILED jobs, newest failure first. */
    public List<JobView> deadLetters(Caller caller, String queue, int limit) {
        StringBuilder jpql = new StringBuilder("SELECT j FROM Job j WHERE j.status = :failed");
        if (queue != null) {
            jpql.append(" AND j.queue = :queue");
        }
        if (caller.role() == io.fairqueue.users.entity.Role.USER) {
            jpql.append(" AND j.userId = :owner");
        }
        jpql.append(" ORDER BY j.finishedAt DESC, j.id DESC");
        TypedQuery<Job> q = em.createQuery(jpql.toString(), Job.class)
                .setParameter("failed", JobStatus.FAILED).setMaxResults(limit);
        if (queue != null) {
            q.setParameter("queue", queue);
        }
        if (caller.role() == io.fairqueue.users.entity.Role.USER) {
            q.setParameter("owner", caller.id());
        }
        return q.getResultList().stream().map(JobView::of).toList();
    }

    /** Retry from the dead-letter queue: a new PENDING job with {@code retryOf}; the old one stays FAILED. */
    public JobView retry(Caller caller, long id) {
        Job failed = visible(caller, id, LockModeType.PESSIMISTIC_WRITE, true);
        if (failed.status() != JobStatus.FAILED) {
            throw ProblemException.stateConflict("not-dead-lettered",
                    "only a FAILED (dead-lettered) job can be retried; job " + id + " is " + failed.status(),
                    failed.status().name(), failed.status().allowedTargets().stream().map(Enum::name).sorted().toList());
        }
        OffsetDateTime now = Time.now(clock);
        Job copy = failed.retryAsNew(now);
        em.persist(copy);
        em.flush();
        em.persist(copy.created(caller.id(), "retry of job " + id));
        return view(copy);
    }

    public QueueView.Cleared clear(Caller caller, String queue, String userId) {
        if (em.find(Queue.class, queue) == null) {
            throw ProblemException.notFound("queue", queue);
        }
        String owner = userId;
        if (!caller.isAdmin()) {
            if (userId != null && !userId.equals(caller.id())) {
                throw ProblemException.forbidden("only an ADMIN may clear another user's jobs (userId)");
            }
            owner = caller.id();
        }
        int n = bulkCancel.cancelWaiting(queue, owner, Time.now(clock), caller.id());
        return new QueueView.Cleared(queue, owner, n);
    }

    /**
     * The job if the caller may see it (404 otherwise, as if it did not exist); with
     * {@code manage}, 403 for a caller that may see but not manage it (a WORKER).
     */
    private Job visible(Caller caller, long id, LockModeType lock, boolean manage) {
        Job job = em.find(Job.class, id, lock);
        if (job == null || !caller.maySeeJobsOf(job.userId())) {
            throw ProblemException.notFound("job", id);
        }
        if (manage && !caller.mayManageJobsOf(job.userId())) {
            throw ProblemException.forbidden("only the job's owner or an ADMIN may pause, resume, cancel or retry it");
        }
        return job;
    }

    private JobView view(Job job) {
        return views.view(job);
    }

    static String encodeCursor(long id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Long.toString(id).getBytes(StandardCharsets.UTF_8));
    }

    static long decodeCursor(String cursor) {
        try {
            return Long.parseLong(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw badRequest("cursor", "is not a cursor returned by this API");
        }
    }
}
