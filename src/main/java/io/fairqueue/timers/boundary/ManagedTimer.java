package io.fairqueue.timers.boundary;

import io.fairqueue.platform.control.FairQueueMetrics;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.Timer;
import jakarta.ejb.TimerService;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * What every timer shares: its run statistics, the enabled switch, its MXBean registration and
 * the rule that runs never overlap on one node (a tick that finds the previous one still running
 * is skipped). Subclasses are {@code @Singleton @Startup} beans with bean-managed concurrency
 * whose {@code @Schedule} method calls {@link #tick(Timer)}; {@link #work()} runs its own
 * transactions through stateless beans. Safe on every node at once: the work is claimed in the
 * database, never assumed exclusive.
 */
public abstract class ManagedTimer implements TimerMXBean {

    private static final Logger LOG = Logger.getLogger(ManagedTimer.class.getName());

    private final AtomicLong runs = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastDuration = new AtomicLong();
    private final AtomicReference<Date> lastStart = new AtomicReference<>();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    private final AtomicReference<Date> nextTimeout = new AtomicReference<>();
    private final AtomicBoolean enabled = new AtomicBoolean(true);
    private volatile boolean halted;
    private final ReentrantLock running = new ReentrantLock();
    private ObjectName objectName;

    @Resource
    TimerService timerService;

    @Inject
    FairQueueMetrics metrics;

    /** Stamps {@code LastRunStart}; the liveness check compares it with the same clock. */
    @Inject
    Clock clock;

    private final String name;
    private final Duration period;

    /**
     * @param name   the name in {@code fairqueue:type=Timer,name=<name>}
     * @param period how often the schedule fires; the health check wants a run within three periods
     */
    protected ManagedTimer(String name, Duration period) {
        this.name = name;
        this.period = period;
    }

    public String name() {
        return name;
    }

    public Duration period() {
        return period;
    }

    /** One run of the timer's work; answers a short summary for the log at FINE. */
    protected abstract String work();

    /** At start: the MXBean is registered (a leftover of the same name, from an unclean undeploy, is replaced). */
    @PostConstruct
    protected void register() {
        try {
            timerService.getTimers().stream()
                    .map(Timer::getNextTimeout)
                    .min(Date::compareTo)
                    .ifPresent(nextTimeout::set);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "next timeout of " + name() + " unknown until its first run", e);
        }
        try {
            objectName = new ObjectName("fairqueue:type=Timer,name=" + name());
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            if (server.isRegistered(objectName)) { // left behind by a redeploy that did not clean up
                server.unregisterMBean(objectName);
            }
            server.registerMBean(this, objectName);
        } catch (JMException e) {
            throw new IllegalStateException("cannot register the MXBean of timer " + name(), e);
        }
    }

    /**
     * At undeploy, first thing ({@link TimersShutdown}, before any bean's container stops): no run
     * starts any more, and one in flight is waited for. Without it a tick could start while the
     * beans it calls were already stopped (a WARNING "container is in STOPPED" in the server log on
     * a redeploy).
     */
    public void halt() {
        halted = true;
        running.lock();
        running.unlock();
    }

    /** At undeploy: no run starts any more, and the MXBean goes, so a redeploy finds none left behind. */
    @PreDestroy
    protected void unregister() {
        halt();
        try {
            if (objectName != null && ManagementFactory.getPlatformMBeanServer().isRegistered(objectName)) {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
            }
        } catch (JMException e) {
            LOG.log(Level.WARNING, "cannot unregister " + objectName, e);
        }
    }

    /** Called by the subclass's {@code @Schedule} method. */
    protected void tick(Timer timer) {
        if (timer != null) {
            try {
                nextTimeout.set(timer.getNextTimeout());
            } catch (RuntimeException e) {
                nextTimeout.set(null);
            }
        }
        if (halted || !running.tryLock()) { // a tick that finds a run in flight is skipped
            return;
        }
        if (enabled.get() && !halted) { // read under the lock: see setEnabled and halt
            run();
        } else {
            running.unlock();
        }
    }

    /** One run; the caller holds {@link #running}, which is released here. */
    private void run() {
        long start = System.nanoTime();
        try {
            lastStart.set(Date.from(clock.instant()));
            String summary = work();
            lastError.set(null);
            if (LOG.isLoggable(Level.FINE)) {
                LOG.fine(name() + ": " + summary);
            }
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            lastError.set(e.toString());
            LOG.log(Level.WARNING, "Timer " + name() + " failed", e);
        } finally {
            runs.incrementAndGet();
            long nanos = System.nanoTime() - start;
            lastDuration.set(nanos / 1_000_000);
            metrics.timerRan(name(), Duration.ofNanos(nanos));
            running.unlock();
        }
    }

    /**
     * Waits for a run in flight (a scheduled tick) to finish, then runs: the caller always gets a
     * run that started after the call, so what it changed before is seen.
     */
    @Override
    public void runNow() {
        running.lock();
        run();
    }

    @Override
    public long getRunCount() {
        return runs.get();
    }

    @Override
    public long getFailureCount() {
        return failures.get();
    }

    @Override
    public Date getLastRunStart() {
        return lastStart.get();
    }

    @Override
    public long getLastDurationMillis() {
        return lastDuration.get();
    }

    @Override
    public String getLastError() {
        return lastError.get();
    }

    @Override
    public Date getNextTimeout() {
        return nextTimeout.get();
    }

    @Override
    public boolean isEnabled() {
        return enabled.get();
    }

    /**
     * Disabling waits for a run in flight to end: once it returns, no scheduled run is under way
     * or will start until the timer is enabled again (a tick reads the switch under the run lock).
     */
    @Override
    public void setEnabled(boolean enabled) {
        this.enabled.set(enabled);
        if (!enabled) {
            running.lock();
            running.unlock();
        }
    }
}
