package io.fairqueue.bench;

/** The trivial job the peers run: public, since JobRunr invokes it by reflection. */
public final class NoopJob {

    private NoopJob() {}

    public static void run(int i) {
        Peers.DONE.incrementAndGet();
    }
}
