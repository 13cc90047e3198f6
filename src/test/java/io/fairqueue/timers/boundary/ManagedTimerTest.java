package io.fairqueue.timers.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * The MXBean side of every timer, outside the container: a redeploy whose old instance left its
 * MBean behind replaces it instead of failing, undeploy leaves nothing, and the switches work.
 */
class ManagedTimerTest {

    static class CountingTimer extends ManagedTimer {
        final AtomicInteger runs = new AtomicInteger();
        RuntimeException failWith;
        java.util.concurrent.CountDownLatch started;
        java.util.concurrent.CountDownLatch release;

        CountingTimer() {
            super("UnitTest", Duration.ofSeconds(1));
        }

        @Override
        protected String work() {
            runs.incrementAndGet();
            if (release != null) {
                java.util.concurrent.CountDownLatch r = release;
                release = null; // only the first run blocks
                started.countDown();
                try {
                    r.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (failWith != null) {
                throw failWith;
            }
            return "ok";
        }
    }

    static CountingTimer timer() {
        CountingTimer t = new CountingTimer();
        t.clock = java.time.Clock.systemUTC();
        t.metrics = new io.fairqueue.platform.control.FairQueueMetrics() {
            @Override
            public void timerRan(String timer, Duration took) {
                // no registry outside the container
            }
        };
        return t;
    }

    @Test
    void a_second_registration_under_the_same_name_replaces_the_first_and_unregister_removes_it() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("fairqueue:type=Timer,name=UnitTest");
        CountingTimer old = timer();
        old.register();
        CountingTimer redeployed = timer();
        redeployed.register();
        assertEquals(1, server.queryNames(name, null).size());
        server.invoke(name, "runNow", null, null);
        assertEquals(1, redeployed.runs.get(), "the new instance answers");
        assertEquals(0, old.runs.get());
        redeployed.unregister();
        assertFalse(server.isRegistered(name));
        old.unregister(); // nothing left to remove: no error
    }

    @Test
    void a_disabled_timer_does_nothing_on_its_ticks_but_run_now_runs_it() {
        CountingTimer t = timer();
        t.setEnabled(false);
        t.tick(null);
        assertEquals(0, t.runs.get());
        t.runNow();
        assertEquals(1, t.runs.get());
        assertEquals(1, t.getRunCount());
        t.setEnabled(true);
        t.tick(null);
        assertEquals(2, t.runs.get());
    }

    @Test
    void a_failing_run_is_counted_with_its_error_and_the_next_success_clears_the_error() {
        CountingTimer t = timer();
        t.failWith = new IllegalStateException("database down");
        t.runNow();
        assertEquals(1, t.getFailureCount());
        assertTrue(t.getLastError().contains("database down"));
        t.failWith = null;
        t.runNow();
        assertNull(t.getLastError());
        assertEquals(2, t.getRunCount());
        assertNotNull(t.getLastRunStart());
        assertTrue(t.getLastDurationMillis() >= 0);
    }

    /** A scheduled tick of {@code t} whose run is under way until {@code release} counts down. */
    static Thread tickInFlight(CountingTimer t, java.util.concurrent.CountDownLatch release)
            throws InterruptedException {
        t.started = new java.util.concurrent.CountDownLatch(1);
        t.release = release;
        Thread tick = new Thread(() -> t.tick(null));
        tick.start();
        t.started.await();
        return tick;
    }

    @Test
    void run_now_during_a_scheduled_run_waits_for_it_and_then_runs_while_a_tick_skips() throws Exception {
        CountingTimer t = timer();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread tick = tickInFlight(t, release);
        t.tick(null); // a second tick finds the first in flight: skipped
        assertEquals(1, t.runs.get());
        Thread manual = new Thread(t::runNow);
        manual.start();
        manual.join(200);
        assertTrue(manual.isAlive(), "runNow waits for the run in flight");
        release.countDown();
        manual.join(5_000);
        tick.join(5_000);
        assertFalse(manual.isAlive());
        assertEquals(2, t.runs.get(), "runNow ran after the tick");
        assertEquals(2, t.getRunCount());
    }

    @Test
    void disabling_during_a_scheduled_run_waits_for_it_and_no_tick_runs_after() throws Exception {
        CountingTimer t = timer();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread tick = tickInFlight(t, release);
        Thread disable = new Thread(() -> t.setEnabled(false));
        disable.start();
        disable.join(200);
        assertTrue(disable.isAlive(), "setEnabled(false) waits for the run in flight");
        release.countDown();
        disable.join(5_000);
        tick.join(5_000);
        assertFalse(disable.isAlive());
        t.tick(null);
        assertEquals(1, t.runs.get(), "no run after the switch");
        assertFalse(t.isEnabled());
    }
}
