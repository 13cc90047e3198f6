package io.fairqueue.scheduling.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.scheduling.control.ClaimWaiters.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Who tries when a wake-up comes, with real threads: one waiter per group, the baton passed on
 * while tries find jobs, and no wake-up lost to a try that was already reading.
 */
class ClaimWaitersTest {

    private final ExecutorService pool = Executors.newFixedThreadPool(8);
    private final ClaimWaiters waiters = new ClaimWaiters(pool);
    /** All tries of all fake waiters. */
    private final AtomicInteger tries = new AtomicInteger();

    /** Claimable jobs of one queue, taken by the fake waiters' tries. */
    static final class Jobs {
        final AtomicInteger left = new AtomicInteger();

        int take(int limit) {
            while (true) {
                int l = left.get();
                int n = Math.min(l, limit);
                if (left.compareAndSet(l, l - n)) {
                    return n;
                }
            }
        }
    }

    /** A long poll of {@code limit} jobs against {@code jobs}; counts its tries. */
    final class Poll implements ClaimWaiters.Waiter {
        final Set<String> queues;
        final Jobs jobs;
        final int limit;
        volatile int claimed = -1;
        volatile boolean ended;
        final AtomicInteger myTries = new AtomicInteger();
        /** When set, the next try blocks here (reading) before it looks at the jobs. */
        volatile CountDownLatch reading;

        volatile CountDownLatch readingStarted;
        volatile boolean endNextTry;
        /** Set before {@link ClaimWaiters#expire}, as the long poll's timeout handler does. */
        volatile boolean timedOut;

        volatile Error failNextTry;
        /** Answers sent; when {@link #answering} is set, the next answer blocks there first. */
        final AtomicInteger answers = new AtomicInteger();

        volatile CountDownLatch answering;
        volatile CountDownLatch answeringStarted;

        Poll(Jobs jobs, int limit, String... queues) {
            this.jobs = jobs;
            this.limit = limit;
            this.queues = Set.of(queues);
        }

        @Override
        public Set<String> queues() {
            return queues;
        }

        @Override
        public String userId() {
            return null;
        }

        @Override
        public Outcome attempt() {
            tries.incrementAndGet();
            myTries.incrementAndGet();
            Error e = failNextTry;
            if (e != null) {
                failNextTry = null;
                throw e;
            }
            if (endNextTry || timedOut) {
                ended = true;
                return Outcome.ENDED;
            }
            int seen = jobs.left.get(); // the claim's snapshot
            CountDownLatch r = reading;
            if (r != null) {
                reading = null;
                readingStarted.countDown();
                await(r);
            }
            if (seen == 0) {
                return Outcome.NOTHING;
            }
            int n = jobs.take(limit);
            if (n == 0) {
                return Outcome.NOTHING;
            }
            claimed = n;
            return Outcome.CLAIMED;
        }

        @Override
        public void answer() {
            CountDownLatch a = answering;
            if (a != null) {
                answering = null;
                answeringStarted.countDown();
                await(a);
            }
            answers.incrementAndGet();
        }
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void a_wake_up_makes_one_waiter_of_the_group_try_not_all() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 6, 50, "q");
        assertEquals(6, tries.get(), "each waiter tried once on arrival");
        assertEquals(6, waiters.waiting());

        for (int i = 0; i < 5; i++) {
            waiters.wake(Set.of("q"));
            waitFor(() -> idle());
        }
        assertEquals(6 + 5, tries.get(), "five wake-ups, five tries: " + tries.get());
        assertEquals(6, waiters.waiting());
        // the longest waiting tries each time: when jobs come, it is served first
        assertEquals(
                List.of(6, 1, 1, 1, 1, 1),
                polls.stream().map(p -> p.myTries.get()).toList());
    }

    @Test
    void a_try_that_claims_passes_the_baton_until_one_finds_nothing() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 5, 50, "q");
        jobs.left.set(120);
        waiters.wake(Set.of("q"));
        waitFor(() -> waiters.waiting() == 2 && idle());

        assertEquals(
                List.of(50, 50, 20, -1, -1), polls.stream().map(p -> p.claimed).toList());
        assertEquals(5 + 4, tries.get(), "three claims and the one that found nothing");
        assertEquals(0, jobs.left.get());
    }

    @Test
    void the_next_try_runs_while_a_claim_s_answer_is_still_being_sent() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 3, 50, "q");
        Poll first = polls.get(0);
        first.answering = new CountDownLatch(1);
        first.answeringStarted = new CountDownLatch(1);
        CountDownLatch sent = first.answering;
        jobs.left.set(70);
        waiters.wake(Set.of("q"));
        assertTrue(first.answeringStarted.await(5, TimeUnit.SECONDS), "the first claim's answer is being sent");
        // the baton passed before that answer: the group went on while it is still being written
        waitFor(() -> polls.get(2).myTries.get() == 2);
        assertEquals(List.of(50, 20, -1), polls.stream().map(p -> p.claimed).toList());
        assertEquals(0, first.answers.get(), "still sending");
        assertEquals(1, polls.get(1).answers.get());
        sent.countDown();
        waitFor(() -> idle());
        assertEquals(1, first.answers.get());
        assertEquals(0, polls.get(2).answers.get(), "a try that found nothing sends nothing");
    }

    @Test
    void a_wake_up_during_a_try_that_read_before_it_is_not_lost() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 3, 50, "q");
        Poll first = polls.get(0);
        CountDownLatch release = wakeAndHold(first, Set.of("q"));
        // jobs arrive after the try read the queue, and their wake-up comes while it runs
        jobs.left.set(10);
        waiters.wake(Set.of("q"));
        assertEquals(3 + 1, tries.get(), "no second try of the group while one runs");
        release.countDown();
        waitFor(() -> waiters.waiting() == 2 && idle());

        // its snapshot was empty; the group tried again after it (the longest waiting first: itself)
        assertEquals(3, first.myTries.get());
        assertEquals(10, first.claimed);
        assertEquals(0, jobs.left.get());
        assertEquals(2, polls.get(1).myTries.get(), "and the next waiter after that claim, finding nothing");
    }

    @Test
    void wake_ups_reach_the_groups_of_their_queue_and_the_waiters_of_every_queue() throws Exception {
        Jobs a = new Jobs();
        Jobs b = new Jobs();
        List<Poll> onA = register(a, 3, 50, "a");
        List<Poll> onB = register(b, 3, 50, "b");
        List<Poll> onAll = register(a, 2, 50);
        int arrived = tries.get();

        waiters.wake(Set.of("a"));
        waitFor(() -> idle());
        assertEquals(arrived + 2, tries.get(), "one of queue a's group, one of every queue's group");
        assertEquals(0, onB.stream().mapToInt(p -> p.myTries.get() - 1).sum());

        waiters.wake(null);
        waitFor(() -> idle());
        assertEquals(arrived + 2 + 3, tries.get(), "a slot freed: one try per group");
        assertEquals(2, onA.stream().mapToInt(p -> p.myTries.get() - 1).sum());
        assertEquals(1, onB.stream().mapToInt(p -> p.myTries.get() - 1).sum());
        assertEquals(2, onAll.stream().mapToInt(p -> p.myTries.get() - 1).sum());
    }

    @Test
    void a_waiter_that_ends_without_claiming_hands_its_wake_up_on() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 3, 50, "q");
        polls.get(0).endNextTry = true; // its time is up just as the wake-up reaches it
        jobs.left.set(5);
        waiters.wake(Set.of("q"));
        waitFor(() -> waiters.waiting() == 1 && idle());

        assertTrue(polls.get(0).ended);
        assertEquals(5, polls.get(1).claimed);
        assertEquals(
                4,
                polls.get(2).myTries.get() + polls.get(1).myTries.get(),
                "the next tried, and the one after found nothing");
    }

    @Test
    void an_idle_waiter_expires_and_a_trying_one_answers_itself() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 2, 50, "q");
        assertTrue(waiters.expire(polls.get(1)));
        assertFalse(waiters.expire(polls.get(1)), "expired once");
        assertEquals(1, waiters.waiting());

        Poll p = polls.get(0);
        CountDownLatch release = wakeAndHold(p, null);
        assertFalse(waiters.expire(p), "it tries right now: the try answers");
        release.countDown();
        waitFor(() -> idle());
        assertTrue(waiters.expire(p));
        assertEquals(0, waiters.waiting());
    }

    @Test
    void a_waiter_whose_time_runs_out_during_a_try_that_finds_nothing_is_answered_at_once() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 2, 50, "q");
        Poll p = polls.get(0);
        CountDownLatch release = wakeAndHold(p, Set.of("q"));
        p.timedOut = true;
        assertFalse(waiters.expire(p), "it tries right now");
        release.countDown(); // that try finds nothing
        waitFor(() -> p.ended && idle());
        assertEquals(1, waiters.waiting(), "answered without waiting for its timeout to come again");
        assertEquals(3, p.myTries.get());
    }

    @Test
    void a_try_that_throws_an_error_leaves_its_group_free_for_the_next_wake_up() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 2, 50, "q");
        polls.get(0).failNextTry = new AssertionError("boom");
        waiters.wake(Set.of("q"));
        waitFor(() -> waiters.waiting() == 1 && idle());
        jobs.left.set(4);
        waiters.wake(Set.of("q"));
        waitFor(() -> idle());
        assertEquals(4, polls.get(1).claimed, "the group tried again");
    }

    @Test
    void a_new_waiter_whose_group_tries_queues_up_and_the_group_tries_again_after() throws Exception {
        Jobs jobs = new Jobs();
        List<Poll> polls = register(jobs, 1, 50, "q");
        Poll first = polls.get(0);
        CountDownLatch release = wakeAndHold(first, Set.of("q"));
        jobs.left.set(3);
        Poll late = new Poll(jobs, 50, "q");
        waiters.await(late);
        assertEquals(0, late.myTries.get(), "it did not claim beside the running try");
        release.countDown();
        waitFor(() -> waiters.waiting() == 1 && idle());
        assertEquals(3, first.claimed, "the group tried again after the running try");
        assertEquals(1, late.myTries.get(), "then the new waiter, finding nothing");
    }

    @Test
    void a_try_the_executor_refuses_leaves_its_waiter_waiting_and_its_group_free() {
        java.util.concurrent.atomic.AtomicBoolean refuse = new java.util.concurrent.atomic.AtomicBoolean(true);
        ClaimWaiters stopping = new ClaimWaiters(r -> {
            if (refuse.get()) {
                throw new java.util.concurrent.RejectedExecutionException("stopping");
            }
            r.run();
        });
        Jobs jobs = new Jobs();
        Poll p = new Poll(jobs, 50, "q");
        stopping.await(p); // the first try runs in the calling thread: nothing
        jobs.left.set(2);
        stopping.wake(Set.of("q"));
        assertEquals(1, p.myTries.get(), "the refused try did not run");
        assertEquals(1, stopping.waiting(), "the waiter still waits");

        refuse.set(false);
        stopping.wake(Set.of("q"));
        assertEquals(2, p.claimed, "the group was free for the next wake-up");
        assertEquals(0, stopping.waiting());
    }

    /**
     * Wakes the waiters of {@code queues} with {@code p}'s next try held after it read the jobs;
     * answers the latch that lets it go on.
     */
    private CountDownLatch wakeAndHold(Poll p, Set<String> queues) throws InterruptedException {
        p.reading = new CountDownLatch(1);
        p.readingStarted = new CountDownLatch(1);
        CountDownLatch release = p.reading;
        waiters.wake(queues);
        assertTrue(p.readingStarted.await(5, TimeUnit.SECONDS), "the try started");
        return release;
    }

    private List<Poll> register(Jobs jobs, int n, int limit, String... queues) {
        List<Poll> polls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Poll p = new Poll(jobs, limit, queues);
            waiters.await(p);
            polls.add(p);
        }
        return polls;
    }

    /** No try runs or is queued: every group rests. */
    private boolean idle() {
        return ((java.util.concurrent.ThreadPoolExecutor) pool).getActiveCount() == 0
                && ((java.util.concurrent.ThreadPoolExecutor) pool).getQueue().isEmpty();
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "timed out");
            Thread.sleep(5);
        }
        Thread.sleep(20); // and nothing more starts
        assertTrue(condition.getAsBoolean());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
