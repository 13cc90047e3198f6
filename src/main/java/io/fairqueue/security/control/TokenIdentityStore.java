package io.fairqueue.security.control;

import io.fairqueue.users.entity.User;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.security.enterprise.credential.Credential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Resolves a bearer token to its user by the token's hash; the caller's group is its role.
 * Known tokens are answered from {@link CallerCache} while it holds them.
 */
@ApplicationScoped
public class TokenIdentityStore implements IdentityStore {

    @PersistenceContext
    EntityManager em;

    @Override
    public CredentialValidationResult validate(Credential credential) {
        if (!(credential instanceof BearerCredential bearer) || bearer.token().isBlank()) {
            return CredentialValidationResult.NOT_VALIDATED_RESULT;
        }
        String hash = Tokens.hash(bearer.token());
        Optional<Caller> cached = CallerCache.get(hash);
        if (cached.isPresent()) {
            return result(cached.get());
        }
        long generation = CallerCache.generation();
        long started = System.nanoTime();
        List<User> users = em.createQuery(
                        "SELECT u FROM User u, ApiToken t WHERE t.tokenHash = :hash AND u.id = t.userId", User.class)
                .setParameter("hash", hash)
                .getResultList();
        if (users.isEmpty()) {
            return CredentialValidationResult.INVALID_RESULT;
        }
        Caller caller = new Caller(users.get(0).id(), users.get(0).role());
        CallerCache.put(hash, caller, generation, started);
        return result(caller);
    }

    private static CredentialValidationResult result(Caller caller) {
        return new CredentialValidationResult(caller.id(), Set.of(caller.role().name()));
    }
}
