package io.fairqueue.scheduling.control;

import io.fairqueue.platform.control.NotificationListener;
import io.fairqueue.platform.control.Notifications;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Wakes long-poll claims ({@code POST /claims} with {@code waitSeconds}) the moment a job may be
 * claimable. It hears {@value #CHANNEL} on the node's LISTEN connection ({@link Notifications}),
 * which the job trigger notifies when a job becomes PENDING (payload: its queue) or a slot is
 * released ({@code *}); PostgreSQL delivers at commit, to every node. One waiter of each group
 * that claims from that queue (or of every group, for {@code *}) tries its claim again on a small
 * pool of managed threads, and passes the baton on while claims find jobs ({@link ClaimWaiters});
 * once more {@link #RECHECK_MILLIS} later.
 *
 * <p>The poll is the backup: every {@link #POLL_MILLIS} every group tries again anyway (one waiter,
 * which passes on if it finds jobs: the others of its group would find what it finds), so a
 * lost connection, a PostgreSQL restart or an eligibility that changes with time alone (an
 * off-peak window opening, a quota resetting, a paused queue resumed) delays a waiter by at most
 * that, never loses it. Correctness never depends on a notification: the claim itself decides.
 */
@ApplicationScoped
public class ClaimWakeups implements NotificationListener {

    private static final Logger LOG = Logger.getLogger(ClaimWakeups.class.getName());

    public static final String CHANNEL = "fq_claimable";

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

    /** How long undeploy waits for the claim threads to end. */
    static final int STOP_SECONDS = 5;

    @Resource
    ManagedThreadFactory threads;

    private ExecutorService claimPool;
    private ClaimWaiters waiters;

    // the fields below are used by the listening thread only
    /** The queues heard of since the last tick; null for all of them. */
    private Set<String> heard = new HashSet<>();

    private boolean claimable;
    private long lastPoll = System.nanoTime();
    private long recheckAt;

    @PostConstruct
    void start() {
        claimPool = new ThreadPoolExecutor(
                CLAIM_THREADS, CLAIM_THREADS, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
        waiters = new ClaimWaiters(claimPool);
    }

    /** At undeploy: the claim threads end (a claim in flight finishes its transaction first). */
    @PreDestroy
    void stop() {
        claimPool.shutdownNow();
        try {
            if (!claimPool.awaitTermination(STOP_SECONDS, TimeUnit.SECONDS)) {
                LOG.warning("claim threads still running " + STOP_SECONDS + " s after undeploy began");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

    @Override
    public Set<String> channels() {
        return Set.of(CHANNEL);
    }

    @Override
    public void notified(String channel, String payload) {
        claimable = true;
        if (heard != null && "*".equals(payload)) {
            heard = null;
        } else if (heard != null) {
            heard.add(payload);
        }
    }

    @Override
    public void tick(long now) {
        if (claimable) {
            waiters.wake(heard);
            claimable = false;
            heard = new HashSet<>();
            if (recheckAt == 0) {
                recheckAt = now + TimeUnit.MILLISECONDS.toNanos(RECHECK_MILLIS);
            }
        }
        // checked on every tick: a steady stream of notifications for one queue must not starve
        // the second look or the backup poll of waiters for the others
        if (recheckAt != 0 && now >= recheckAt) {
            recheckAt = 0;
            waiters.wake(null);
        }
        if (now - lastPoll >= TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)) {
            lastPoll = now;
            waiters.wake(null);
        }
    }

    @Override
    public long nextTickNanos() {
        long poll = lastPoll + TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS);
        return recheckAt == 0 ? poll : Math.min(poll, recheckAt);
    }

    @Override
    public void listening(boolean now) {
        if (!now) {
            // the connection is lost: nothing will be heard until it is back, so everyone tries now
            waiters.wake(null);
        }
    }
}
