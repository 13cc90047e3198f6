package io.fairqueue.security.control;

import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.users.entity.ApiToken;
import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.time.OffsetDateTime;

/**
 * Keeps FairQueue administrable: some ADMIN must always hold a valid (unexpired) token, or nobody
 * could issue tokens or change roles again. A change that could take the last one away (demoting
 * an ADMIN, revoking an ADMIN's token) calls {@link #lock} first and then its check, in its own
 * transaction; the lock is held to the commit, so of two such changes racing on different nodes
 * the second checks after the first committed and never both pass on what the other removes.
 * {@code BootstrapAdmin} takes the same lock. Every transaction takes it before any other lock,
 * so nobody waits for it while holding one: it closes no deadlock cycle.
 */
@ApplicationScoped
public class AdminGuard {

    /** Transaction advisory lock over "who can administer" ("FairQueu"). */
    public static final long LOCK_KEY = 0x4661697251756575L;

    /** Whether an ADMIN other than user ?1 holds a token other than ?2 that is still valid at ?3. */
    public static final String OTHER_ADMIN_TOKEN = """
            SELECT EXISTS (SELECT 1 FROM fq_user u JOIN api_token t ON t.user_id = u.id
                            WHERE u.role = 'ADMIN' AND u.id <> ? AND t.id <> ?
                              AND (t.expires_at IS NULL OR t.expires_at > ?))""";

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    /** Waits for any other change of the administrators to commit; held until this transaction ends. */
    public void lock() {
        em.createNativeQuery("SELECT 1 FROM pg_advisory_xact_lock(?)")
                .setParameter(1, LOCK_KEY)
                .getSingleResult();
    }

    /** 409 {@code last-admin} unless another ADMIN holds a valid token. Call after {@link #lock}. */
    public void mayDemote(String adminId) {
        if (!otherAdminToken(adminId, -1)) {
            throw ProblemException.conflict(
                    "last-admin",
                    "user '" + adminId + "' is the last ADMIN with a valid token;"
                            + " make another user ADMIN (with a token) before demoting it");
        }
    }

    /** 409 {@code last-admin} when this is the last valid token of any ADMIN. Call after {@link #lock}. */
    public void mayRevoke(ApiToken token, Role ownerRole) {
        if (ownerRole == Role.ADMIN && !token.expiredAt(Time.now(clock)) && !otherAdminToken("", token.id())) {
            throw ProblemException.conflict(
                    "last-admin",
                    "token " + token.id() + " is the last valid token of any ADMIN;"
                            + " issue another ADMIN token before revoking it");
        }
    }

    private boolean otherAdminToken(String userId, long tokenId) {
        OffsetDateTime now = Time.now(clock);
        return (Boolean) em.createNativeQuery(OTHER_ADMIN_TOKEN)
                .setParameter(1, userId)
                .setParameter(2, tokenId)
                .setParameter(3, now)
                .getSingleResult();
    }
}
