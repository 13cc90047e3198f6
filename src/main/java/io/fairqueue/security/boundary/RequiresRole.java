package io.fairqueue.security.boundary;

import io.fairqueue.users.entity.Role;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Admits only callers with one of these roles (403 otherwise); checked by
 * {@link AuthorizationFilter}. Our own annotation rather than {@code @RolesAllowed}: Payara
 * enforces that one through container role mapping, with its own non-problem error bodies.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface RequiresRole {
    Role[] value();
}
