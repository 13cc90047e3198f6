package io.fairqueue.platform.control;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** The application's own thread pools, ended at undeploy so that no thread outlives the deployment. */
public final class Threads {

    /** How long undeploy waits for a pool's work in flight. */
    public static final int STOP_SECONDS = 5;

    private Threads() {}

    /**
     * Interrupts the pool's threads and waits up to {@link #STOP_SECONDS} for them to end (a
     * transaction in flight finishes first); says so in the log, naming {@code what}, if they do not.
     */
    public static void stop(ExecutorService pool, Logger log, String what) {
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(STOP_SECONDS, TimeUnit.SECONDS)) {
                log.warning(what + " still running " + STOP_SECONDS + " s after undeploy began");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
