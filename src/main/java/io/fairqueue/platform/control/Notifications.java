package io.fairqueue.platform.control;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The node's one LISTEN connection to PostgreSQL, outside the pool (application name
 * {@code fairqueue-wakeups} in {@code pg_stat_activity}). It LISTENs on the channels of every
 * {@link NotificationListener} bean and hands each notification to the listeners of its channel;
 * PostgreSQL delivers at the notifier's commit, to every node. Who notifies what is in
 * {@code db/functions/R__job_changes.sql} (wake-ups) and {@code R__notifications.sql} (caches).
 *
 * <p>When the connection is lost (a PostgreSQL restart, a network cut) every listener hears
 * {@code listening(false)}; the loop tries again every {@link #RETRY_MILLIS} and, once it listens
 * again, says {@code listening(true)}. Nothing may depend on a notification for correctness: they
 * only make things happen sooner (a claim wakes, a cache goes).
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class Notifications {

    private static final Logger LOG = Logger.getLogger(Notifications.class.getName());

    /** How long the loop waits before it connects again after losing its connection. */
    static final int RETRY_MILLIS = 1000;

    /** The longest wait for notifications, so that the loop sees {@link #stop()} soon. */
    static final int MAX_WAIT_MILLIS = 1000;

    @Resource
    ManagedThreadFactory threads;

    @Inject
    Instance<NotificationListener> found;

    @Inject
    @ConfigProperty(name = "fairqueue.db.url")
    String url;

    @Inject
    @ConfigProperty(name = "fairqueue.db.user")
    String user;

    @Inject
    @ConfigProperty(name = "fairqueue.db.password")
    Optional<String> password;

    private final List<NotificationListener> listeners = new ArrayList<>();
    private final Map<String, List<NotificationListener>> byChannel = new HashMap<>();
    private Thread loop;
    private volatile boolean running;

    @PostConstruct
    void start() {
        for (NotificationListener l : found) {
            listeners.add(l);
            for (String channel : l.channels()) {
                byChannel.computeIfAbsent(channel, c -> new ArrayList<>()).add(l);
            }
        }
        running = true;
        loop = threads.newThread(this::listen);
        loop.setName("fairqueue-notifications");
        loop.setDaemon(true);
        loop.start();
    }

    @PreDestroy
    void stop() {
        running = false;
        loop.interrupt();
        listeners.forEach(l -> l.listening(false));
    }

    private void listen() {
        Connection connection = null;
        while (running) {
            try {
                if (connection == null) {
                    connection = connect();
                    listeners.forEach(l -> l.listening(true));
                }
                PGNotification[] notes = connection.unwrap(PGConnection.class).getNotifications(waitMillis());
                if (notes != null) {
                    for (PGNotification n : notes) {
                        for (NotificationListener l : byChannel.getOrDefault(n.getName(), List.of())) {
                            l.notified(n.getName(), n.getParameter());
                        }
                    }
                }
                long now = System.nanoTime();
                listeners.forEach(l -> l.tick(now));
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    LOG.log(
                            Level.WARNING,
                            "the LISTEN connection is lost; trying again every " + RETRY_MILLIS + " ms: " + e);
                }
                close(connection);
                connection = null;
                listeners.forEach(l -> l.listening(false));
                sleep();
            }
        }
        close(connection);
    }

    /** Until the earliest tick a listener asked for, at least 1 ms, at most {@link #MAX_WAIT_MILLIS}. */
    private int waitMillis() {
        long now = System.nanoTime();
        long wait = MAX_WAIT_MILLIS;
        for (NotificationListener l : listeners) {
            long next = l.nextTickNanos();
            if (next != Long.MAX_VALUE) {
                wait = Math.min(wait, (next - now) / 1_000_000);
            }
        }
        return (int) Math.max(1, wait);
    }

    private Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password.orElse(""));
        props.setProperty("ApplicationName", "fairqueue-wakeups");
        props.setProperty("tcpKeepAlive", "true");
        Connection c = new org.postgresql.Driver().connect(url, props);
        if (c == null) {
            throw new SQLException("not a PostgreSQL URL: fairqueue.db.url");
        }
        try (Statement s = c.createStatement()) {
            for (String channel : byChannel.keySet()) {
                s.execute("LISTEN " + channel);
            }
        } catch (SQLException e) {
            close(c);
            throw e;
        }
        return c;
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the connection is gone already
            }
        }
    }

    private void sleep() {
        try {
            Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
