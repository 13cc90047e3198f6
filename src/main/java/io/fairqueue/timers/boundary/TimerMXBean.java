package io.fairqueue.timers.boundary;

import java.util.Date;

/** JMX view and control of one FairQueue timer: {@code fairqueue:type=Timer,name=<Name>}. */
public interface TimerMXBean {

    long getRunCount();

    long getFailureCount();

    Date getLastRunStart();

    long getLastDurationMillis();

    String getLastError();

    Date getNextTimeout();

    boolean isEnabled();

    /**
     * Runs the timer's work now, on the calling thread, whether or not it is enabled; a run in
     * flight is waited for first, so the run always starts after the call.
     */
    void runNow();

    /** Switches the scheduled runs; switching off waits for a run in flight to end. */
    void setEnabled(boolean enabled);
}
