package io.fairqueue.quotas.boundary;

import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.scheduling.control.Limits;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.User;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.sql.Date;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * GPU-time quotas per user and per project, and the usage they are measured against. Usage is
 * added by the database when an attempt ends (fq_apply_changes, R__job_changes.sql); a claim
 * skips a job whose user or project has exhausted a window (fq_quota_blocked_until,
 * R__quotas.sql), until that window resets.
 */
@Stateless
public class QuotaService {

    static final String UPSERT = """
            INSERT INTO quota (scope, key, daily_limit_secs, weekly_limit_secs) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (scope, key) DO UPDATE SET daily_limit_secs = EXCLUDED.daily_limit_secs,
                                                   weekly_limit_secs = EXCLUDED.weekly_limit_secs
            """;

    static final String STATUS = """
            WITH z AS (SELECT fq_quota_tz() AS tz),
                 t AS (SELECT tz, CAST(?1 AS timestamptz) AT TIME ZONE tz AS local FROM z),
                 p AS (SELECT tz, local::date AS d, date_trunc('week', local)::date AS w,
                              date_trunc('month', local)::date AS m FROM t)
            SELECT tz,
                   d, (d + 1)::timestamp AT TIME ZONE tz, fq_used('USER', ?2, 'DAY', d),
                   w, (w + 7)::timestamp AT TIME ZONE tz, fq_used('USER', ?2, 'WEEK', w),
                   m, (m + interval '1 month') AT TIME ZONE tz, fq_used('USER', ?2, 'MONTH', m),
                   (SELECT daily_limit_secs FROM quota WHERE scope = 'USER' AND key = ?2),
                   (SELECT weekly_limit_secs FROM quota WHERE scope = 'USER' AND key = ?2),
                   (SELECT round(monthly_hours_limit * 3600)::bigint FROM fq_user WHERE id = ?2)
              FROM p
            """;

    /** The same windows for a project: its limits from its quota row; projects have no monthly plan. */
    static final String PROJECT_STATUS = STATUS.replace("'USER'", "'PROJECT'")
            .replace(
                    "(SELECT round(monthly_hours_limit * 3600)::bigint FROM fq_user WHERE id = ?2)",
                    "CAST(NULL AS bigint)");

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    Limits limits;

    public QuotaView setUserQuota(String userId, QuotaRequest r) {
        if (em.find(User.class, userId) == null) {
            throw ProblemException.notFound("user", userId);
        }
        return set("USER", userId, r, "UPDATE lane SET quota_blocked_until = NULL WHERE user_id = ?1");
    }

    public QuotaView setProjectQuota(String projectId, QuotaRequest r) {
        return set("PROJECT", projectId, r, "UPDATE lane SET quota_blocked_until = NULL WHERE project_key = ?1");
    }

    private QuotaView set(String scope, String key, QuotaRequest r, String unblock) {
        limits.lockJobs();
        em.createNativeQuery(UPSERT)
                .setParameter(1, scope)
                .setParameter(2, key)
                .setParameter(3, r.dailyLimitSecs())
                .setParameter(4, r.weeklyLimitSecs())
                .executeUpdate();
        // a claim re-checks the new limits the next time it meets these lanes
        em.createNativeQuery(unblock).setParameter(1, key).executeUpdate();
        return new QuotaView(scope, key, r.dailyLimitSecs(), r.weeklyLimitSecs());
    }

    public QuotaView.Status status(Caller caller, String userId) {
        String who = userId == null ? caller.id() : userId;
        if (!who.equals(caller.id()) && !caller.readsEverything()) {
            throw ProblemException.forbidden("only an ADMIN may see another user's quota (userId)");
        }
        if (em.find(User.class, who) == null) {
            throw ProblemException.notFound("user", who);
        }
        Object[] r = (Object[]) em.createNativeQuery(STATUS)
                .setParameter(1, Time.now(clock))
                .setParameter(2, who)
                .getSingleResult();
        QuotaView.Window day = QuotaView.Window.of(date(r[1]), time(r[2]), num(r[3]), lng(r[10]));
        QuotaView.Window week = QuotaView.Window.of(date(r[4]), time(r[5]), num(r[6]), lng(r[11]));
        QuotaView.Window month = QuotaView.Window.of(date(r[7]), time(r[8]), num(r[9]), lng(r[12]));
        boolean warning = day.atLeast(0.8) || week.atLeast(0.8) || month.atLeast(0.8);
        boolean exhausted = day.atLeast(1.0) || week.atLeast(1.0) || month.atLeast(1.0);
        return new QuotaView.Status(who, (String) r[0], day, week, month, warning, exhausted);
    }

    /**
     * {@code GET /admin/projects/{id}/quota}: the project's limits and its usage in the current
     * day, week and month. Projects have no table: a project without a quota row is unlimited
     * (limits absent), with the usage its jobs ran up.
     */
    public QuotaView.ProjectStatus projectStatus(String projectId) {
        Object[] r = (Object[]) em.createNativeQuery(PROJECT_STATUS)
                .setParameter(1, Time.now(clock))
                .setParameter(2, projectId)
                .getSingleResult();
        QuotaView.Window day = QuotaView.Window.of(date(r[1]), time(r[2]), num(r[3]), lng(r[10]));
        QuotaView.Window week = QuotaView.Window.of(date(r[4]), time(r[5]), num(r[6]), lng(r[11]));
        QuotaView.Window month = QuotaView.Window.of(date(r[7]), time(r[8]), num(r[9]), null);
        boolean warning = day.atLeast(0.8) || week.atLeast(0.8);
        boolean exhausted = day.atLeast(1.0) || week.atLeast(1.0);
        return new QuotaView.ProjectStatus(
                projectId, (String) r[0], lng(r[10]), lng(r[11]), day, week, month, warning, exhausted);
    }

    private static LocalDate date(Object o) {
        return o instanceof Date d ? d.toLocalDate() : (LocalDate) o;
    }

    private static OffsetDateTime time(Object o) {
        if (o instanceof java.sql.Timestamp ts) {
            return ts.toInstant().atOffset(ZoneOffset.UTC);
        }
        return ((OffsetDateTime) o).withOffsetSameInstant(ZoneOffset.UTC);
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    private static Long lng(Object o) {
        return o == null ? null : ((Number) o).longValue();
    }
}
