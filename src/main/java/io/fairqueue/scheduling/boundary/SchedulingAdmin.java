package io.fairqueue.scheduling.boundary;

import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.scheduling.control.Limits;
import io.fairqueue.scheduling.entity.Settings;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.User;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import java.time.OffsetDateTime;
import java.util.List;

/** Admin control of scheduling: settings, users' locks (seed 002), and the counter recount. */
@Stateless
public class SchedulingAdmin {

    /** A user's running job seen as its "lock" (seed 002). */
    public record Lock(
            String userId,
            long jobId,
            String queue,
            String workerId,
            OffsetDateTime acquiredAt,
            OffsetDateTime expiresAt,
            OffsetDateTime leaseExpiresAt) {}

    public record Released(String userId, List<Long> jobIds) {}

    /** One derived counter that differs from a recount. */
    public record Drift(String kind, String key, Long stored, Long actual) {}

    public record Recount(boolean repaired, List<Drift> drift) {}

    static final List<JobStatus> HOLDING = List.of(JobStatus.DISPATCHED, JobStatus.RUNNING);

    @PersistenceContext
    EntityManager em;

    @Inject
    Limits limits;

    @Inject
    LockRelease lockRelease;

    public SettingsView settings() {
        return SettingsView.of(em.find(Settings.class, Settings.ID));
    }

    public SettingsView update(SettingsRequest r) {
        limits.lockJobs();
        Settings s = em.find(Settings.class, Settings.ID, LockModeType.PESSIMISTIC_WRITE);
        s.serializePerUser(
                r.serializationEnabled() == null ? s.perUserSerialization() : r.serializationEnabled(),
                r.lockTimeoutSeconds() == null ? s.lockTimeoutSeconds() : r.lockTimeoutSeconds());
        if (r.globalSlotsGiven()) {
            s.limitGlobalSlots(r.globalSlots());
        }
        limits.recountGlobal();
        em.refresh(s);
        return SettingsView.of(s);
    }

    /** Every running job as its user's lock: acquired at the claim, expiring after the lock timeout. */
    public List<Lock> locks() {
        return locks(null, null);
    }

    /** The locks of one user and/or one queue (null = all); job_running_idx. */
    public List<Lock> locks(String userId, String queue) {
        int timeout = em.find(Settings.class, Settings.ID).lockTimeoutSeconds();
        var query = em.createQuery(
                        "SELECT j FROM Job j WHERE j.status IN :holding"
                                + (userId == null ? "" : " AND j.userId = :user")
                                + (queue == null ? "" : " AND j.queue = :queue")
                                + " ORDER BY j.userId, j.claimedAt, j.id",
                        Job.class)
                .setParameter("holding", HOLDING);
        if (userId != null) {
            query.setParameter("user", userId);
        }
        if (queue != null) {
            query.setParameter("queue", queue);
        }
        return query.getResultList().stream()
                .map(j -> new Lock(
                        j.userId(),
                        j.id(),
                        j.queue(),
                        j.workerId(),
                        j.claimedAt(),
                        j.claimedAt().plusSeconds(timeout),
                        j.leaseExpiresAt()))
                .toList();
    }

    /**
     * Releases a user's locks by hand: each running attempt (or only {@code jobId}) ends as failed
     * with the reason recorded; the retry policy applies, and the slot is free at once.
     */
    public Released release(Caller caller, String userId, Long jobId, String reason) {
        if (em.find(User.class, userId) == null) {
            throw ProblemException.notFound("user", userId);
        }
        var query = em.createQuery(
                        "SELECT j.id FROM Job j WHERE j.userId = :u AND j.status IN :holding"
                                + (jobId == null ? "" : " AND j.id = :id") + " ORDER BY j.id",
                        Long.class)
                .setParameter("u", userId)
                .setParameter("holding", HOLDING);
        if (jobId != null) {
            query.setParameter("id", jobId);
        }
        List<Long> ids = query.getResultList();
        if (jobId != null && ids.isEmpty()) {
            throw ProblemException.notFound("lock of user '" + userId + "' on job", jobId);
        }
        List<Long> released = new java.util.ArrayList<>();
        for (Long id : ids) {
            if (lockRelease.release(id, caller.id(), reason)) {
                released.add(id);
            }
        }
        return new Released(userId, released);
    }

    public Recount recount(boolean repair) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("SELECT kind, key, stored, actual FROM fq_recount(?1)")
                .setParameter(1, repair)
                .getResultList();
        return new Recount(
                repair,
                rows.stream()
                        .map(r -> new Drift((String) r[0], (String) r[1], toLong(r[2]), toLong(r[3])))
                        .toList());
    }

    private static Long toLong(Object o) {
        return o == null ? null : ((Number) o).longValue();
    }
}
