package io.fairqueue.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Threads that put load on the nodes (worker loops, submitters, pollers) until {@link #stop()}:
 * each is bounded by its own deadline too, and {@link #close()} ends whatever is left.
 */
public final class Load implements AutoCloseable {

    private final AtomicBoolean stop = new AtomicBoolean();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Future<?>> running = new ArrayList<>();

    /** The flag every thread of this load watches. */
    public AtomicBoolean stopFlag() {
        return stop;
    }

    public <T> Future<T> start(Callable<T> task) {
        Future<T> f = pool.submit(task);
        running.add(f);
        return f;
    }

    /** A worker loop on the given node's API, with this load's stop flag and a deadline of 3 minutes. */
    public WorkerLoop worker(
            String name,
            Api api,
            Fixtures.WorkerAccount w,
            List<String> queues,
            int maxBatch,
            int workMinMillis,
            int workMaxMillis,
            Calls calls) {
        WorkerLoop loop = new WorkerLoop(
                name,
                api.as(w.account().token()),
                w.workerId(),
                queues,
                maxBatch,
                workMinMillis,
                workMaxMillis,
                stop,
                180,
                calls);
        start(loop);
        return loop;
    }

    /** Sets the stop flag and waits for every thread (a long poll, a last call); fails on a thread's error. */
    public void stop() throws Exception {
        stop.set(true);
        for (Future<?> f : running) {
            f.get(45, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        stop.set(true);
        pool.shutdownNow();
    }
}
