package io.fairqueue.scheduling.control;

import io.fairqueue.policies.control.OffPeakWindows;
import io.fairqueue.security.control.CallerCache;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes long-poll claims ({@code POST /claims} with {@code waitSeconds}) the moment a job may be
 * claimable. One dedicated connection per node LISTENs on {@code fq_claimable}, which the job
 * trigger notifies when a job becomes PENDING (payload: its queue) or a slot is released
 * ({@code *}); PostgreSQL delivers at commit, to every node. One waiter of each group that claims
 * from that queue (or of every group, for {@code *}) tries its claim again on a small pool of
 * managed threads, and passes the baton on while claims find jobs ({@link ClaimWaiters}); once
 * more {@link #RECHECK_MILLIS} later.
 *
 * <p>The poll is the backup: every {@link #POLL_MILLIS} every group tries again anyway (one waiter,
 * which passes on if it finds jobs: the others of its group would find what it finds), so a
 * lost connection, a PostgreSQL restart or an eligibility that changes with time alone (an
 * off-peak window opening, a quota resetting, a paused queue resumed) delays a waiter by at most
 * that, never loses it. Correctness never depends on a notification: the claim itself decides.
 *
 * <p>The same connection hears {@code fq_policies} (the off-peak windows each node keeps go) and
 * {@code fq_callers} (the token owners each node keeps go; while the connection is down they are
 * not used at all).
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class ClaimWakeups {

    private static final Logger LOG = Logger.getLogger(ClaimWakeups.class.getName());

    public static final String CHANNEL = "fq_claimable";

    /** Notified when a scheduling policy changes (R__notifications.sql): the off-peak windows are read again. */
    public static final String POLICIES = "fq_policies";

    /** Notified when a token or a user's role changes (R__notifications.sql): the cached callers go. */
    public static final String CALLERS = "fq_callers";

    /** The backup poll: waiters try again at least this often. */
    static final int POLL_MILLIS = 1000;

    /**
     * A second look after notifications: a woken claim finds nothing when the jobs' users are
     * locked right then by another transaction (the claim skips locked users rather than wait), so
     * each group tries again this much later while jobs keep arriving or slots keep freeing.
     */
    static final int RECHECK_MILLIS = 50;

    /** Threads that run woken claims (each claim is one short transaction; one per group at a time). */
    static final int CLAIM_THREADS = 8;

    @Resource
    ManagedThreadFactory threads;

    @Inject
    @ConfigProperty(name = "fairqueue.db.url")
    String url;

    @Inject
    @ConfigProperty(name = "fairqueue.db.user")
    String user;

    @Inject
    @ConfigProperty(name = "fairqueue.db.password")
    Optional<String> password;

    private ExecutorService claimPool;
    private ClaimWaiters waiters;
    private Thread listener;
    private volatile boolean running;

    @PostConstruct
    void start() {
        claimPool = new ThreadPoolExecutor(
                CLAIM_THREADS, CLAIM_THREADS, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
        waiters = new ClaimWaiters(claimPool);
        running = true;
        listener = threads.newThread(this::listen);
        listener.setName("fairqueue-claim-wakeups");
        listener.setDaemon(true);
        listener.start();
    }

    @PreDestroy
    void stop() {
        CallerCache.listening(false);
        running = false;
        listener.interrupt();
        claimPool.shutdownNow();
    }

    /** Registers a waiter and runs its first try in the calling thread (see {@link ClaimWaiters#await}). */
    public void await(ClaimWaiters.Waiter waiter) {
        waiters.await(waiter);
    }

    /**
     * Ends a waiter whose time is up, unless a try runs right now (that try then answers its
     * client). True when the caller must answer the client.
     */
    public boolean expire(ClaimWaiters.Waiter waiter) {
        return waiters.expire(waiter);
    }

    /** How many claims wait right now (tests, metrics). */
    public int waiting() {
        return waiters.waiting();
    }

    private void listen() {
        Connection connection = null;
        long lastPoll = System.nanoTime();
        long recheckAt = 0;
        while (running) {
            try {
                if (connection == null) {
                    connection = connect();
                }
                long now = System.nanoTime();
                long untilPoll = POLL_MILLIS - (now - lastPoll) / 1_000_000;
                long untilRecheck = recheckAt == 0 ? Long.MAX_VALUE : (recheckAt - now) / 1_000_000;
                int timeout = (int) Math.max(1, Math.min(untilPoll, untilRecheck));
                PGNotification[] notes = connection.unwrap(PGConnection.class).getNotifications(timeout);
                now = System.nanoTime();
                if (notes != null && notes.length > 0) {
                    Set<String> queues = new HashSet<>();
                    boolean claimable = false;
                    for (PGNotification n : notes) {
                        if (POLICIES.equals(n.getName())) {
                            OffPeakWindows.invalidate();
                            continue;
                        }
                        if (CALLERS.equals(n.getName())) {
                            CallerCache.invalidate();
                            continue;
                        }
                        claimable = true;
                        if (queues != null && "*".equals(n.getParameter())) {
                            queues = null;
                        } else if (queues != null) {
                            queues.add(n.getParameter());
                        }
                    }
                    if (claimable) {
                        waiters.wake(queues);
                        if (recheckAt == 0) {
                            recheckAt = now + TimeUnit.MILLISECONDS.toNanos(RECHECK_MILLIS);
                        }
                    }
                }
                // checked on every turn: a steady stream of notifications for one queue must not
                // starve the second look or the backup poll of waiters for the others
                if (recheckAt != 0 && now >= recheckAt) {
                    recheckAt = 0;
                    waiters.wake(null);
                }
                if (now - lastPoll >= TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)) {
                    lastPoll = now;
                    waiters.wake(null);
                }
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    LOG.log(
                            Level.WARNING,
                            "claim wake-ups lost their connection; polling every " + POLL_MILLIS
                                    + " ms until it is back: " + e);
                }
                CallerCache.listening(false); // nobody would tell us of a revoked token now
                close(connection);
                connection = null;
                waiters.wake(null);
                sleep();
            }
        }
        close(connection);
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
            s.execute("LISTEN " + CHANNEL);
            s.execute("LISTEN " + POLICIES);
            s.execute("LISTEN " + CALLERS);
        } catch (SQLException e) {
            close(c);
            throw e;
        }
        // changes made while no connection listened were not heard of
        OffPeakWindows.invalidate();
        CallerCache.listening(true);
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
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
