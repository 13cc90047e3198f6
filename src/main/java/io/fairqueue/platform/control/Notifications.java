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
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The node's one LISTEN connection to PostgreSQL (application name {@code fairqueue-wakeups} in
 * {@code pg_stat_activity}): outside the pool, from the {@code fairqueue.db.*} settings, with the
 * built-in datasource; one connection borrowed from the server's pool for as long as the
 * application runs when {@value Database#JNDI_KEY} names a server JDBC resource (whose password
 * the application never sees), handed back with {@code UNLISTEN *} at undeploy. It LISTENs on the channels of every
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

    /** How long undeploy waits for the loop to close its connection and end. */
    static final int STOP_MILLIS = 5000;

    static final String APPLICATION_NAME = "fairqueue-wakeups";

    @Resource
    ManagedThreadFactory threads;

    @Inject
    Instance<NotificationListener> found;

    /** The datasource in use: the server's resource when {@link #serverResource} is set. */
    @Resource(lookup = Database.JNDI)
    DataSource dataSource;

    @Inject
    @ConfigProperty(name = Database.JNDI_KEY)
    Optional<String> serverResource;

    @Inject
    // defaults as in WEB-INF/web.xml: an EAR does not see the WAR's microprofile-config.properties
    @ConfigProperty(name = "fairqueue.db.url", defaultValue = "jdbc:postgresql://localhost:5432/fairqueue")
    String url;

    @Inject
    @ConfigProperty(name = "fairqueue.db.user", defaultValue = "postgres")
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

    /** Ends the loop and waits until it has closed (or handed back) its connection. */
    @PreDestroy
    void stop() {
        running = false;
        loop.interrupt();
        try {
            loop.join(STOP_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (loop.isAlive()) {
            LOG.warning("the LISTEN loop did not end within " + STOP_MILLIS + " ms");
        }
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
                discard(connection);
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
        Connection c = serverResource.isPresent() ? borrow() : open();
        try (Statement s = c.createStatement()) {
            for (String channel : byChannel.keySet()) {
                s.execute("LISTEN " + channel);
            }
        } catch (SQLException e) {
            discard(c);
            throw e;
        }
        return c;
    }

    /** One connection of the server's pool, named for {@code pg_stat_activity} while it listens. */
    private Connection borrow() throws SQLException {
        Connection c = dataSource.getConnection();
        try (Statement s = c.createStatement()) {
            s.execute("SET application_name = '" + APPLICATION_NAME + "'");
        } catch (SQLException e) {
            discard(c);
            throw e;
        }
        return c;
    }

    /** A connection of its own, outside the built-in pool. */
    private Connection open() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password.orElse(""));
        props.setProperty("ApplicationName", APPLICATION_NAME);
        props.setProperty("tcpKeepAlive", "true");
        Connection c = new org.postgresql.Driver().connect(url, props);
        if (c == null) {
            throw new SQLException("not a PostgreSQL URL: fairqueue.db.url");
        }
        return c;
    }

    /**
     * Closes a healthy connection; one of the server's pool goes back to it as it came (no channel
     * listened to, its own application name), so the next borrower gets no notifications.
     */
    private void close(Connection c) {
        if (c == null) {
            return;
        }
        if (serverResource.isPresent()) {
            try (Statement s = c.createStatement()) {
                s.execute("UNLISTEN *");
                s.execute("RESET application_name");
            } catch (SQLException e) {
                discard(c);
                return;
            }
        }
        closeQuietly(c);
    }

    /**
     * Closes a connection that failed; one of the server's pool is closed underneath first, so the
     * pool finds it dead and replaces it instead of lending it out still listening.
     */
    private void discard(Connection c) {
        if (c == null) {
            return;
        }
        if (serverResource.isPresent()) {
            try {
                if (c.unwrap(PGConnection.class) instanceof Connection underneath) {
                    closeQuietly(underneath);
                }
            } catch (SQLException | RuntimeException ignored) {
                // nothing underneath to close
            }
        }
        closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // the connection is gone already
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
