package io.fairqueue.security.control;

import io.fairqueue.users.entity.Role;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.security.enterprise.credential.Credential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;

/**
 * Resolves a bearer token to its user by the token's hash; the caller's group is its role. An
 * expired token is refused like an unknown one. Known tokens are answered from {@link CallerCache}
 * while it holds them (an entry is not used past its token's expiry). A use is recorded in
 * {@code lastUsedAt} at most once a minute per token ({@link TokenUse}).
 */
@ApplicationScoped
public class TokenIdentityStore implements IdentityStore {

    @PersistenceContext
    EntityManager em;

    @Inject
    Clock clock;

    @Inject
    TokenUse use;

    @Override
    public CredentialValidationResult validate(Credential credential) {
        if (!(credential instanceof BearerCredential bearer) || bearer.token().isBlank()) {
            return CredentialValidationResult.NOT_VALIDATED_RESULT;
        }
        String hash = Tokens.hash(bearer.token());
        Instant now = clock.instant();
        KnownToken known = CallerCache.get(hash, now).orElse(null);
        if (known == null) {
            long generation = CallerCache.generation();
            long started = System.nanoTime();
            known = lookUp(hash);
            if (known == null || known.expiredAt(now)) {
                return CredentialValidationResult.INVALID_RESULT;
            }
            CallerCache.put(hash, known, generation, started);
        }
        if (known.useDueAt(now)) {
            use.record(known.tokenId(), now);
            CallerCache.used(hash, known.usedAt(now));
        }
        return new CredentialValidationResult(
                known.caller().id(), Set.of(known.caller().role().name()));
    }

    private KnownToken lookUp(String hash) {
        List<Object[]> rows =
                em.createQuery("""
                        SELECT t.id, t.expiresAt, t.lastUsedAt, u.id, u.role FROM ApiToken t, User u
                         WHERE t.tokenHash = :hash AND u.id = t.userId""", Object[].class).setParameter("hash", hash).getResultList();
        if (rows.isEmpty()) {
            return null;
        }
        Object[] r = rows.get(0);
        return new KnownToken(
                ((Number) r[0]).longValue(),
                new Caller((String) r[3], (Role) r[4]),
                instant((OffsetDateTime) r[1]),
                instant((OffsetDateTime) r[2]));
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
