package io.fairqueue.platform.control;

import org.eclipse.persistence.config.SessionCustomizer;
import org.eclipse.persistence.sessions.DatabaseLogin;
import org.eclipse.persistence.sessions.Session;

/**
 * EclipseLink retries a read outside a transaction that failed for want of a connection, by
 * default 3 times, 5 s apart: with the pool exhausted or PostgreSQL refusing connections, a
 * request (an unknown token's lookup, say) then hangs for 10 to 20 s before it fails. FairQueue
 * fails fast instead (the pool's bounded wait, {@code fairqueue.db.pool-wait-millis}, then 503)
 * and leaves retrying to the client. Named in {@code persistence.xml}.
 */
public class DatabaseLoginSettings implements SessionCustomizer {

    @Override
    public void customize(Session session) {
        if (session.getDatasourceLogin() instanceof DatabaseLogin login) {
            login.setQueryRetryAttemptCount(0);
            login.setDelayBetweenConnectionAttempts(0);
        }
    }
}
