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
 *
 * <p>HELD JOBS APART. The three indexes behind those filters ({@code job_status_id_idx},
 * {@code job_user_id_idx}, {@code job_finished_idx}) leave out DISPATCHED and RUNNING jobs: a claim
 * moves a job into RUNNING and would otherwise write an entry into each of them for every claimed
 * job, while the jobs held right now are few (the limits bound them) and {@code job_running_idx}
 * (user_id, queue) has them all. A search without a status therefore reads the two groups apart,
 * each through its own index, and merges them ({@link #HELD}); a status is written into the
 * statement as a literal, so that even a generic plan knows which group it reads.
 */
@Dependent
public class JobSearch {

    /** How many of the most recent jobs (by id) a search by an unindexed filter looks at. */
    public static final int WINDOW = 100_000;

    @PersistenceContext
    EntityManager em;

    /** The statuses that the three search indexes leave out (see job_running_idx). */
    static final String HELD = "j.status = ANY ('{DISPATCHED,RUNNING}')";

    static final String SETTLED = "j.status <> ALL ('{DISPATCHED,RUNNING}')";

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
        boolean statusNamed;

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

        /** Adds the statuses as a literal (enum names need no quoting). */
        public Where statusIn(Collection<JobStatus> statuses) {
            sql.append(" AND j.status = ANY ('{")
                    .append(String.join(",", statuses.stream().map(Enum::name).toList()))
                    .append("}')");
            statusNamed = true;
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
            w.statusIn(List.of(f.status()));
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
        return w.bind(em.createNativeQuery(jobsSql(w, order, limit), Job.class)).getResultList();
    }

    /** The ids of the jobs matching {@code w}, oldest (lowest id) first, at most {@code limit}. */
    public List<Long> ids(Where w, int limit) {
        List<?> rows = w.bind(em.createNativeQuery(idsSql(w, limit))).getResultList();
        return rows.stream().map(r -> ((Number) r).longValue()).toList();
    }

    /** How many jobs match {@code w}. */
    public long count(Where w) {
        return ((Number) w.bind(em.createNativeQuery(countSql(w))).getSingleResult()).longValue();
    }

    /**
     * The statement of {@link #jobs}. Without a status, the settled and the held jobs are read
     * apart (each branch ordered and limited, so a backward scan of an index stops after
     * {@code limit} rows) and merged in {@code order}. The limit is part of the statement, so the
     * planner plans for it.
     */
    static String jobsSql(Where w, String order, int limit) {
        return select("j.*", w, order, limit);
    }

    /** The statement of {@link #ids}: as {@link #jobsSql}, ids only, oldest first. */
    static String idsSql(Where w, int limit) {
        return select("j.id", w, "j.id", limit);
    }

    private static String select(String columns, Where w, String order, int limit) {
        String page = " ORDER BY " + order + " LIMIT " + limit;
        String from = "SELECT " + columns + " FROM job j WHERE " + w.sql();
        if (w.statusNamed) {
            return from + page;
        }
        return "SELECT " + columns + " FROM ((" + from + " AND " + SETTLED + page + ") UNION ALL (" + from + " AND "
                + HELD + page + ")) j" + page;
    }

    static String countSql(Where w) {
        if (w.statusNamed) {
            return "SELECT count(*) FROM job j WHERE " + w.sql();
        }
        return "SELECT (SELECT count(*) FROM job j WHERE " + w.sql() + " AND " + SETTLED
                + ") + (SELECT count(*) FROM job j WHERE " + w.sql() + " AND " + HELD + ")";
    }
}
