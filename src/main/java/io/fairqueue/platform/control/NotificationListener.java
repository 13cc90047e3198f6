package io.fairqueue.platform.control;

import java.util.Set;

/**
 * A component that hears PostgreSQL notifications on the node's one LISTEN connection
 * ({@link Notifications}). Implementations are CDI beans; {@link Notifications} finds them all at
 * start. Every method runs on the listening thread, so each must return quickly.
 */
public interface NotificationListener {

    /** The channels this listener hears (LISTENed to on every connection). */
    Set<String> channels();

    /** One notification on one of {@link #channels()}, delivered at the notifier's commit. */
    void notified(String channel, String payload);

    /**
     * Called after every wait of the loop, with or without notifications ({@code System.nanoTime()}
     * now): the place for work that runs on a deadline or after a batch of notifications.
     */
    default void tick(long nowNanos) {}

    /**
     * The next {@code System.nanoTime()} at which this listener wants a {@link #tick}, even if no
     * notification comes; {@code Long.MAX_VALUE} for none.
     */
    default long nextTickNanos() {
        return Long.MAX_VALUE;
    }

    /**
     * The connection is listening again (true) or lost (false). Notifications sent while it was
     * down were not heard, so a listener that caches what they announce drops its cache on both.
     */
    default void listening(boolean now) {}
}
