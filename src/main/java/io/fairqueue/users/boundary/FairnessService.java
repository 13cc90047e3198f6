package io.fairqueue.users.boundary;

import io.fairqueue.quotas.boundary.QuotaService;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.User;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The fairness panel's read: the busiest users (running, then pending) with their quota windows,
 * in one call whatever the number of users. Only the users shown are read whole; the others are
 * counted in the same statement. Sorting 10,000 users' counts is a few milliseconds; a panel that
 * read every user and then asked for each one's quota was 1 + 40 calls per refresh.
 */
@Stateless
public class FairnessService {

    /** ?1 the id filter (null: users with jobs running or waiting), ?2 the limit. */
    static final String BUSIEST = """
            WITH p AS (SELECT user_id, sum(n) AS pending
                         FROM (SELECT user_id, n FROM user_pending_count
                               UNION ALL SELECT user_id, delta FROM pending_delta) c
                        GROUP BY 1),
                 m AS (SELECT u.id, u.running, coalesce(p.pending, 0) AS pending
                         FROM fq_user u LEFT JOIN p ON p.user_id = u.id
                        WHERE CASE WHEN CAST(?1 AS text) IS NULL THEN u.running > 0 OR coalesce(p.pending, 0) > 0
                                   ELSE strpos(lower(u.id), lower(CAST(?1 AS text))) > 0 END)
            SELECT id, running, pending, count(*) OVER (), (SELECT count(*) FROM fq_user)
              FROM m
             ORDER BY running DESC, pending DESC, id
             LIMIT ?2
            """;

    @PersistenceContext
    EntityManager em;

    @Inject
    QuotaService quotas;

    /**
     * @param user a part of a user id to look for (any case), or null for every user with jobs
     *     running or waiting
     * @param limit how many users to answer with, busiest first
     */
    public FairnessView busiest(Caller caller, String user, int limit) {
        List<?> rows = em.createNativeQuery(BUSIEST)
                .setParameter(1, user)
                .setParameter(2, limit)
                .getResultList();
        long total = rows.isEmpty()
                ? em.createQuery("SELECT count(u) FROM User u", Long.class).getSingleResult()
                : ((Number) ((Object[]) rows.get(0))[4]).longValue();
        long matched = rows.isEmpty() ? 0 : ((Number) ((Object[]) rows.get(0))[3]).longValue();
        List<FairnessView.Share> shares = new ArrayList<>(rows.size());
        for (Object o : rows) {
            Object[] row = (Object[]) o;
            User u = em.find(User.class, row[0]); // users are never deleted
            // the running count of the statement that chose and ordered the users, not the row
            // read a moment later: a job that ended in between would show a user with 0 and 0
            shares.add(new FairnessView.Share(
                    UserView.of(u, ((Number) row[1]).intValue(), ((Number) row[2]).longValue()),
                    quotas.status(caller, u.id())));
        }
        return new FairnessView(total, matched, shares);
    }
}
