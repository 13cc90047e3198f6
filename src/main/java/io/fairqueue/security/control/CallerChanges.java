package io.fairqueue.security.control;

import io.fairqueue.platform.control.NotificationListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * Drops the callers this node keeps ({@link CallerCache}) when a token or a user's role changes
 * anywhere: the tables' triggers notify {@value #CHANNEL} (R__notifications.sql). While the node
 * does not listen, the cache is not used at all.
 */
@ApplicationScoped
public class CallerChanges implements NotificationListener {

    public static final String CHANNEL = "fq_callers";

    @Override
    public Set<String> channels() {
        return Set.of(CHANNEL);
    }

    @Override
    public void notified(String channel, String payload) {
        CallerCache.invalidate();
    }

    @Override
    public void listening(boolean now) {
        CallerCache.listening(now);
    }
}
