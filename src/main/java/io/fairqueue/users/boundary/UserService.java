package io.fairqueue.users.boundary;

import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.scheduling.control.Limits;
import io.fairqueue.security.control.AdminGuard;
import io.fairqueue.security.control.CallerCache;
import io.fairqueue.users.entity.Role;
import io.fairqueue.users.entity.User;
import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.PersistenceException;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.time.Clock;
import java.util.List;

/** User administration: accounts, roles and limits (tokens: {@link TokenService}). */
@Stateless
public class UserService {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    Limits limits;

    @Inject
    TokenService tokens;

    @Inject
    AdminGuard admins;

    @Resource
    TransactionSynchronizationRegistry transaction;

    public UserView.WithToken create(UserRequests.Create r) {
        if (em.find(User.class, r.id()) != null) {
            throw ProblemException.conflict("user-exists", "user '" + r.id() + "' already exists");
        }
        User user = new User(
                r.id(),
                r.displayName(),
                r.role(),
                r.maxConcurrent() == null ? 1 : r.maxConcurrent(),
                r.monthlyHoursLimit(),
                Time.now(clock));
        em.persist(user);
        try {
            em.flush();
        } catch (PersistenceException e) {
            throw ProblemException.conflict("user-exists", "user '" + r.id() + "' already exists");
        }
        TokenView.Issued token = tokens.issue(user.id(), TokenRequests.Issue.NONE);
        return new UserView.WithToken(UserView.of(user, 0), token.token(), token.id());
    }

    public List<UserView> list() {
        java.util.Map<String, Long> pending = new java.util.HashMap<>();
        for (Object o : em.createNativeQuery("""
                SELECT user_id, sum(n) FROM (SELECT user_id, n FROM user_pending_count
                                             UNION ALL SELECT user_id, delta FROM pending_delta) c
                 GROUP BY 1""").getResultList()) {
            Object[] row = (Object[]) o;
            pending.put((String) row[0], ((Number) row[1]).longValue());
        }
        return em.createQuery("SELECT u FROM User u ORDER BY u.id", User.class).getResultList().stream()
                .map(u -> UserView.of(u, pending.getOrDefault(u.id(), 0L)))
                .toList();
    }

    public UserView get(String id) {
        return UserView.of(find(id, LockModeType.NONE), pending(id));
    }

    public UserView patch(String id, UserRequests.Patch r) {
        if (r.role() != null && r.role() != Role.ADMIN) {
            // it may demote an ADMIN. First: no holder of the job table's or a user's lock waits for this one
            admins.lock();
        }
        boolean limitsChanged = r.maxConcurrent() != null || r.monthlyHoursLimitGiven();
        if (limitsChanged) {
            limits.lockJobs(); // before the user's row: the lock order starts at job
        }
        User user = find(id, LockModeType.PESSIMISTIC_WRITE);
        if (r.displayName() != null) {
            user.rename(r.displayName());
        }
        if (r.role() != null && r.role() != user.role()) {
            if (user.role() == Role.ADMIN) {
                admins.mayDemote(id);
            }
            user.changeRole(r.role());
            CallerCache.forgetAfterCommit(transaction);
        }
        if (r.maxConcurrent() != null) {
            user.limitConcurrency(r.maxConcurrent());
        }
        if (r.monthlyHoursLimitGiven()) {
            user.limitMonthlyHours(r.monthlyHoursLimit());
        }
        if (limitsChanged) {
            limits.refreshUserLanes(id);
        }
        return UserView.of(user, pending(id));
    }

    /** The user's PENDING jobs (fq_user_pending: counts and deltas, exact, no scan). */
    public long pending(String userId) {
        return ((Number) em.createNativeQuery("SELECT fq_user_pending(?1)")
                        .setParameter(1, userId)
                        .getSingleResult())
                .longValue();
    }

    private User find(String id, LockModeType lock) {
        User user = em.find(User.class, id, lock);
        if (user == null) {
            throw ProblemException.notFound("user", id);
        }
        return user;
    }
}
