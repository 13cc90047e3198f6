package io.fairqueue.security.control;

import io.fairqueue.users.entity.User;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.security.enterprise.credential.Credential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;
import java.util.List;
import java.util.Set;

/** Resolves a bearer token to its user by the token's hash; the caller's group is its role. */
@ApplicationScoped
public class TokenIdentityStore implements IdentityStore {

    @PersistenceContext
    EntityManager em;

    @Override
    public CredentialValidationResult validate(Credential credential) {
        if (!(credential instanceof BearerCredential bearer) || bearer.token().isBlank()) {
            return CredentialValidationResult.NOT_VALIDATED_RESULT;
        }
        List<User> users = em.createQuery(
                        "SELECT u FROM User u, ApiToken t WHERE t.tokenHash = :hash AND u.id = t.userId", User.class)
                .setParameter("hash", Tokens.hash(bearer.token()))
                .getResultList();
        if (users.isEmpty()) {
            return CredentialValidationResult.INVALID_RESULT;
        }
        User user = users.get(0);
        return new CredentialValidationResult(user.id(), Set.of(user.role().name()));
    }
}
