package io.fairqueue.scheduling.control;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The long-poll claims that wait on one node, and who tries next when a wake-up comes.
 *
 * <p>Waiters with the same queues and the same user filter form a group: a claim's outcome does
 * not depend on the worker (its capacity is not a claim limit), so when one waiter of a group
 * finds nothing, every other would find nothing too. A wake-up therefore makes <em>one</em> waiter
 * of each concerned group try (the longest waiting), not all of them, and the try passes the baton:
 * <ul>
 *   <li>it claimed jobs: the next waiter of the group tries at once (more may be claimable: a claim
 *       takes at most its limit);</li>
 *   <li>it found nothing: the group rests until the next wake-up;</li>
 *   <li>its waiter ended without claiming (its time was up, or the claim failed): the next tries,
 *       so that the wake-up it carried is not lost;</li>
 *   <li>a wake-up came while it ran: the next tries whatever it found (it may have read the queue
 *       before the change that woke it was committed).</li>
 * </ul>
 * At most one try per group runs at a time: claims of one queue run one after another in
 * PostgreSQL anyway (the queue's counter row), and a try that finds jobs hands on at once.
 *
 * <p>A try decides, then answers: the group's next try is started first, and only then is the
 * answer written ({@link Waiter#answer}), so that the next claim does not wait while this one's
 * jobs are turned into JSON and sent. Written inside the try, the answer of a claim of 44 jobs
 * was more than half of a try's time in Payara (a flight recording of the benchmark's end-to-end
 * runs: 101 of 178 samples of the tries), and the tries of a group are the line every claim of
 * the node waits in.
 *
 * <p>Waking every waiter instead made 4,605 claim executions for 782 answered claims in the
 * benchmark's end-to-end runs, each a transaction that waits its turn for the queue's row.
 */
public final class ClaimWaiters {

    private static final Logger LOG = Logger.getLogger(ClaimWaiters.class.getName());

    /** What one try of a waiter came to. */
    public enum Outcome {
        /** Nothing claimable; the waiter goes on waiting. */
        NOTHING,
        /** Jobs were claimed and the client has its answer. */
        CLAIMED,
        /** The client has its answer without jobs (its time was up, the claim failed, the client left). */
        ENDED
    }

    /** One waiting claim. */
    public interface Waiter {

        /** The queues it claims from; empty = every queue. */
        Set<String> queues();

        /** The user whose jobs it claims; null = every user. */
        String userId();

        /**
         * Tries the claim. Unless the outcome is {@link Outcome#NOTHING}, the client's answer is
         * ready and {@link #answer} sends it. Once {@link ClaimWaiters#expire} has been called for
         * it, a try must end it (its time is up): a try that was running then and found nothing is
         * followed by one more at once.
         */
        Outcome attempt();

        /**
         * Sends the answer of the try that came to {@link Outcome#CLAIMED} or {@link Outcome#ENDED},
         * after the group's next try was started; called once, in the thread of that try.
         */
        void answer();
    }

    private record Key(Set<String> queues, String userId) {}

    /** A waiter's group and its place in the group's line (by age). */
    private record Place(Key key, long seq) {}

    /** A group's waiters: the idle ones by age, whether one tries now, whether a wake-up came meanwhile. */
    private static final class Group {
        final TreeMap<Long, Waiter> idle = new TreeMap<>();
        boolean trying;
        boolean wokenWhileTrying;
    }

    private final Executor executor;
    private final Map<Key, Group> groups = new HashMap<>();
    /** Every waiting waiter, idle or trying. */
    private final Map<Waiter, Place> places = new IdentityHashMap<>();
    /** Waiters whose time ran out while they tried: they try once more at once instead of waiting. */
    private final Set<Waiter> expiredWhileTrying = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    private long seq;

    /** @param executor runs the tries that wake-ups start (at most one per group at a time) */
    public ClaimWaiters(Executor executor) {
        this.executor = executor;
    }

    /**
     * Registers a waiter and runs its first try in the calling thread. It is registered (as
     * trying) first, so a wake-up during that try makes the group try once more after it. When
     * another waiter of its group tries right now, it queues up instead: that try's claim reads
     * the same jobs, and the group tries once more after it.
     */
    public void await(Waiter waiter) {
        Group group;
        synchronized (this) {
            Place place = new Place(new Key(Set.copyOf(waiter.queues()), waiter.userId()), ++seq);
            places.put(waiter, place);
            group = groups.computeIfAbsent(place.key(), k -> new Group());
            if (group.trying) {
                group.idle.put(place.seq(), waiter);
                group.wokenWhileTrying = true;
                return;
            }
            group.trying = true;
        }
        tryOnce(group, waiter);
    }

    /** Wakes one waiter of every group that claims from one of {@code queues}; null = every group. */
    public void wake(Set<String> queues) {
        List<Runnable> tries = new ArrayList<>();
        synchronized (this) {
            groups.forEach((key, group) -> {
                if (queues != null
                        && !key.queues().isEmpty()
                        && key.queues().stream().noneMatch(queues::contains)) {
                    return;
                }
                if (group.trying) {
                    group.wokenWhileTrying = true;
                    return;
                }
                Map.Entry<Long, Waiter> first = group.idle.pollFirstEntry();
                if (first != null) {
                    group.trying = true;
                    tries.add(() -> start(group, first.getValue()));
                }
            });
        }
        tries.forEach(Runnable::run);
    }

    /**
     * Ends a waiter whose time is up, unless it tries right now (that try then answers its client).
     * True when the caller must answer the client.
     */
    public synchronized boolean expire(Waiter waiter) {
        Place place = places.get(waiter);
        Group group = place == null ? null : groups.get(place.key());
        if (group == null) {
            return false; // answered already
        }
        if (group.idle.remove(place.seq()) == null) {
            expiredWhileTrying.add(waiter); // it tries right now: that try, or one right after, answers
            return false;
        }
        places.remove(waiter);
        dropIfUnused(place.key(), group);
        return true;
    }

    /** How many claims wait right now (tests, metrics). */
    public synchronized int waiting() {
        return places.size();
    }

    /**
     * One try; then the next waiter of the group tries on the executor if the baton is passed.
     * Whatever the try throws, the group is not left marked as trying.
     */
    private void tryOnce(Group group, Waiter waiter) {
        Outcome outcome = null;
        try {
            outcome = waiter.attempt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a waiting claim failed", e);
            outcome = Outcome.ENDED;
        } finally {
            if (outcome == null) { // an Error: the waiter is dropped, its group free for the next wake-up
                synchronized (this) {
                    Place place = places.remove(waiter);
                    expiredWhileTrying.remove(waiter);
                    group.trying = false;
                    dropIfUnused(place.key(), group);
                }
            }
        }
        Waiter next = null;
        synchronized (this) {
            boolean expired = expiredWhileTrying.remove(waiter);
            Place place = outcome == Outcome.NOTHING ? places.get(waiter) : places.remove(waiter);
            if (outcome == Outcome.NOTHING && expired) {
                next = waiter; // its time ran out during this try: the next one answers it
            } else {
                if (outcome == Outcome.NOTHING) {
                    group.idle.put(place.seq(), waiter);
                }
                if (outcome != Outcome.NOTHING || group.wokenWhileTrying) {
                    Map.Entry<Long, Waiter> first = group.idle.pollFirstEntry();
                    next = first == null ? null : first.getValue();
                }
                group.wokenWhileTrying = false;
            }
            if (next == null) {
                group.trying = false;
                dropIfUnused(place.key(), group);
            }
        }
        if (next != null) {
            start(group, next);
        }
        if (outcome != Outcome.NOTHING) {
            try {
                waiter.answer();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the answer of a waiting claim could not be sent", e);
            }
        }
    }

    /**
     * Starts a try of {@code waiter}, whose group is marked as trying, on the executor. If the
     * executor refuses (the application is stopping), the waiter goes back to wait and the group
     * is free: the waiter's timeout answers it (its next {@link #expire} finds it idle, also when
     * its time ran out while this try was being started).
     */
    private void start(Group group, Waiter waiter) {
        try {
            executor.execute(() -> tryOnce(group, waiter));
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                Place place = places.get(waiter);
                group.idle.put(place.seq(), waiter);
                group.trying = false;
                expiredWhileTrying.remove(waiter);
            }
        }
    }

    private void dropIfUnused(Key key, Group group) {
        if (!group.trying && group.idle.isEmpty()) {
            groups.remove(key);
        }
    }
}
