package io.fairqueue.users.boundary;

import io.fairqueue.platform.control.Time;
import io.fairqueue.platform.problem.ProblemException;
import io.fairqueue.security.control.AdminGuard;
import io.fairqueue.security.control.CallerCache;
import io.fairqueue.security.control.Tokens;
import io.fairqueue.users.entity.ApiToken;
import io.fairqueue.users.entity.User;
import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A user's bearer tokens: issue (the token is shown once, only its hash is stored), list, revoke.
 * A revocation reaches this node's cache at its commit and every other node's through the token
 * table's notification (see {@link CallerCache}); the last valid token of the last ADMIN cannot be
 * revoked ({@link AdminGuard}).
 */
@Stateless
public class TokenService {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    AdminGuard admins;

    @Resource
    TransactionSynchronizationRegistry transaction;

    public TokenView.Issued issue(String userId, TokenRequests.Issue r) {
        user(userId);
        OffsetDateTime now = Time.now(clock);
        String token = Tokens.generate();
        ApiToken t = new ApiToken(Tokens.hash(token), userId, r.name(), now, r.expiry(now));
        em.persist(t);
        em.flush(); // the id
        return TokenView.Issued.of(t, token);
    }

    public List<TokenView> list(String userId) {
        user(userId);
        OffsetDateTime now = Time.now(clock);
        return em
                .createQuery("SELECT t FROM ApiToken t WHERE t.userId = :user ORDER BY t.id", ApiToken.class)
                .setParameter("user", userId)
                .getResultList()
                .stream()
                .map(t -> TokenView.of(t, now))
                .toList();
    }

    /** Deletes the user's token {@code tokenId}: 404 when the user has no such token, 409 for the last ADMIN token. */
    public void revoke(String userId, long tokenId) {
        admins.lock();
        ApiToken t = em.find(ApiToken.class, tokenId);
        if (t == null || !t.userId().equals(userId)) {
            throw ProblemException.notFound("token", tokenId);
        }
        admins.mayRevoke(t, user(userId).role());
        em.remove(t);
        em.flush();
        CallerCache.forgetAfterCommit(transaction);
    }

    private User user(String id) {
        User user = em.find(User.class, id);
        if (user == null) {
            throw ProblemException.notFound("user", id);
        }
        return user;
    }
}
