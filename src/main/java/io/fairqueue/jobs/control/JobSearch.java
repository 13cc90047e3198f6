package io.fairqueue.jobs.control;

import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.platform.control.SqlArrays;
import jakarta.enterprise.context.Dependent;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.Query;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The job filters that {@code GET /jobs}, {@code GET /dead-letter} and the bulk actions share.
 *
 * <p>BOUNDED. {@code status}, {@code queue} and {@code userId} have indexes of their own. The
 * others ({@code type}, {@code error}, {@code payload}, {@code createdFrom}, {@code createdTo})
 * have none, and none is added: every index on {@code job} is written by every submit and status
 * change, the hot path. Instead a filter that uses any of them looks only at the most recent
 * {@value #WINDOW} jobs by id ({@code id > max(id) - WINDOW}, a range of the primary key; ids are
 * handed out in submission order), so the search reads at most that many rows whatever the size
 * of the table. Older jobs are found by the indexed filters alone.
 */
@Dependent
public class JobSearch {

    /** How many of the most recent jobs (by id) a search by an unindexed filter looks at. */
    public static final int WINDOW = 100_000;

    @PersistenceContext
    EntityManager em;

    /** Every member may be null (no condition). {@code payload} is the text of a JSON object. */
    public record Filter(
            JobStatus status,
            String queue,
            String userId,
            String type,
            String error,
            String payload,
            OffsetDateTime createdFrom,
            OffsetDateTime createdTo) {

        public static Filter none() {
            return new Filter(null, null, null, null, null, null, null, null);
        }

        public Filter withStatus(JobStatus s) {
            return new Filter(s, queue, userId, type, error, payload, createdFrom, createdTo);
        }

        public Filter withUserId(String u) {
            return new Filter(status, queue, u, type, error, payload, createdFrom, createdTo);
        }

        /** True when a filter without an index is set: the search then looks at the last {@link #WINDOW} jobs. */
        public boolean windowed() {
            return type != null || error != null || payload != null || createdFrom != null || createdTo != null;
        }
    }

    /** A WHERE clause over {@code job j} with its positional parameters. */
    public static final class Where {
        final StringBuilder sql = new StringBuilder("1 = 1");
        final List<Object> params = new ArrayList<>();

        String param(Object value) {
            params.add(value);
            return "?" + params.size();
        }

        public Where and(String condition) {
            sql.append(" AND ").append(condition);
            return this;
        }

        /** Adds {@code AND <left> <param>} with one parameter. */
        public Where and(String left, Object value) {
            sql.append(" AND ").append(left).append(' ').append(param(value));
            return this;
        }

        public Where statusIn(Collection<JobStatus> statuses) {
            List<String> names = statuses.stream().map(Enum::name).toList();
            sql.append(" AND j.status = ANY (CAST(")
                    .append(param(SqlArrays.of(names)))
                    .append(" AS text[]))");
            return this;
        }

        public Where idIn(Collection<Long> ids) {
            List<String> texts = ids.stream().map(String::valueOf).toList();
            sql.append(" AND j.id = ANY (CAST(")
                    .append(param(SqlArrays.of(texts)))
                    .append(" AS bigint[]))");
            return this;
        }

        public Where idBelow(long id) {
            return and("j.id <", id);
        }

        public String sql() {
            return sql.toString();
        }

        Query bind(Query q) {
            for (int i = 0; i < params.size(); i++) {
                q.setParameter(i + 1, params.get(i));
            }
            return q;
        }
    }

    /** The conditions of a filter. */
    public static Where where(Filter f) {
        Where w = new Where();
        if (f.status() != null) {
            w.and("j.status =", f.status().name());
        }
        if (f.queue() != null) {
            w.and("j.queue =", f.queue());
        }
        if (f.userId() != null) {
            w.and("j.user_id =", f.userId());
        }
        if (f.type() != null) {
            w.and("j.type =", f.type());
        }
        if (f.error() != null) {
            w.sql.append(" AND j.last_error ILIKE ").append(w.param("%" + likeEscaped(f.error()) + "%"));
            w.sql.append(" ESCAPE '\\'");
        }
        if (f.payload() != null) {
            w.sql.append(" AND j.payload @> CAST(").append(w.param(f.payload())).append(" AS jsonb)");
        }
        if (f.createdFrom() != null) {
            w.sql.append(" AND j.created_at >= CAST(")
                    .append(w.param(f.createdFrom()))
                    .append(" AS timestamptz)");
        }
        if (f.createdTo() != null) {
            w.sql.append(" AND j.created_at < CAST(")
                    .append(w.param(f.createdTo()))
                    .append(" AS timestamptz)");
        }
        if (f.windowed()) {
            w.and("j.id > (SELECT coalesce(max(id), 0) FROM job) - " + WINDOW);
        }
        return w;
    }

    static String likeEscaped(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /** Jobs matching {@code w}, in {@code order} (an ORDER BY over {@code j}), at most {@code limit}. */
    @SuppressWarnings("unchecked")
    public List<Job> jobs(Where w, String order, int limit) {
        Query q = em.createNativeQuery("SELECT j.* FROM job j WHERE " + w.sql() + " ORDER BY " + order, Job.class)
                .setMaxResults(limit);
        return w.bind(q).getResultList();
    }

    /** The ids of the jobs matching {@code w}, oldest (lowest id) first, at most {@code limit}. */
    public List<Long> ids(Where w, int limit) {
        Query q = em.createNativeQuery("SELECT j.id FROM job j WHERE " + w.sql() + " ORDER BY j.id")
                .setMaxResults(limit);
        List<?> rows = w.bind(q).getResultList();
        return rows.stream().map(r -> ((Number) r).longValue()).toList();
    }

    /** How many jobs match {@code w}. */
    public long count(Where w) {
        Query q = em.createNativeQuery("SELECT count(*) FROM job j WHERE " + w.sql());
        return ((Number) w.bind(q).getSingleResult()).longValue();
    }
}
