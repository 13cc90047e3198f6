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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes long-poll claims ({@code POST /claims} with {@code waitSeconds}) the moment a job may be
 * claimable. One dedicated connection per node LISTENs on {@code fq_claimable}, which the job
 * trigger notifies when a job becomes PENDING (payload: its queue) or a slot is released
 * ({@code *}); PostgreSQL delivers at commit, to every node. Waiters for that queue (or all, for
 * {@code *}) try their claim again on a small pool of managed threads, and once more
 * {@link #RECHECK_MILLIS} later.
 *
 * <p>The poll is the backup: every {@link #POLL_MILLIS} every waiter tries again anyway, so a
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

    /** Notified when a scheduling policy changes (migration V6): the off-peak windows are read again. */
    public static final String POLICIES = "fq_policies";

    /** Notified when a token or a user's role changes (migration V7): the cached callers go. */
    public static final String CALLERS = "fq_callers";

    /** The backup poll: waiters try again at least this often. */
    static final int POLL_MILLIS = 1000;

    /**
     * A second look after notifications: a woken claim finds nothing when the jobs' users are
     * locked right then by another transaction (the claim skips locked users rather than wait), so
     * waiters try again this much later while jobs keep arriving or slots keep freeing.
     */
    static final int RECHECK_MILLIS = 50;

    /** Threads that run woken claims (each claim is one short transaction). */
    static final int CLAIM_THREADS = 8;

    /** One waiting claim. {@link #attempt} runs the claim and answers true when the waiter is done. */
    public interface Waiter {

        /** The queues it claims from; empty = every queue. */
        Set<String> queues();

        /** Tries the claim; true when the waiter answered its client (jobs, or its time is up). */
        boolean attempt();
    }

    private static final int IDLE = 0;
    private static final int BUSY = 1;
    private static final int BUSY_AGAIN = 2;
    private static final int DONE = 3;

    /** Registered waiters and their state: a wake-up while one runs makes it run once more. */
    private final ConcurrentHashMap<Waiter, AtomicInteger> waiters = new ConcurrentHashMap<>();

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
    private Thread listener;
    private volatile boolean running;

    @PostConstruct
    void start() {
        claimPool = new ThreadPoolExecutor(CLAIM_THREADS, CLAIM_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), threads);
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

    /**
     * Registers a waiter and runs its first attempt in the calling thread (registered first, so a
     * notification that arrives during that attempt is not missed: it makes the waiter try once
     * more).
     */
    public void await(Waiter waiter) {
        waiters.put(waiter, new AtomicInteger(BUSY));
        run(waiter);
    }

    /**
     * Ends a waiter whose time is up, unless an attempt runs right now (that attempt then answers
     * its client). True when the caller must answer the client.
     */
    public boolean expire(Waiter waiter) {
        AtomicInteger state = waiters.get(waiter);
        if (state != null && state.compareAndSet(IDLE, DONE)) {
            waiters.remove(waiter);
            return true;
        }
        return false;
    }

    /** How many claims wait right now (tests, metrics). */
    public int waiting() {
        return waiters.size();
    }

    private void wake(Set<String> queues) {
        waiters.forEach((waiter, state) -> {
            if (queues != null && !waiter.queues().isEmpty() && waiter.queues().stream().noneMatch(queues::contains)) {
                return;
            }
            while (true) {
                int s = state.get();
                if (s == IDLE && state.compareAndSet(IDLE, BUSY)) {
                    claimPool.execute(() -> run(waiter));
                    return;
                }
                if (s == DONE || s == BUSY_AGAIN || (s == BUSY && state.compareAndSet(BUSY, BUSY_AGAIN))) {
                    return;
                }
            }
        });
    }

    private void run(Waiter waiter) {
        AtomicInteger state = waiters.get(waiter);
        while (state != null) {
            boolean done;
            try {
                done = waiter.attempt();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a waiting claim failed", e);
                done = true;
            }
            if (done) {
                state.set(DONE);
                waiters.remove(waiter);
                return;
            }
            if (state.compareAndSet(BUSY, IDLE)) {
                return;
            }
            state.set(BUSY);
        }
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
                        wake(queues);
                        if (recheckAt == 0) {
                            recheckAt = now + TimeUnit.MILLISECONDS.toNanos(RECHECK_MILLIS);
                        }
                    }
                }
                // checked on every turn: a steady stream of notifications for one queue must not
                // starve the second look or the backup poll of waiters for the others
                if (recheckAt != 0 && now >= recheckAt) {
                    recheckAt = 0;
                    wake(null);
                }
                if (now - lastPoll >= TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)) {
                    lastPoll = now;
                    wake(null);
                }
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    LOG.log(Level.WARNING, "claim wake-ups lost their connection; polling every " + POLL_MILLIS
                            + " ms until it is back: " + e);
                }
                CallerCache.listening(false); // nobody would tell us of a revoked token now
                close(connection);
                connection = null;
                wake(null);
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
