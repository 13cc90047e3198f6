package io.fairqueue.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/** Latency samples in milliseconds; nearest-rank percentiles. */
final class Stats {

    private final List<Double> millis = new ArrayList<>();

    synchronized void add(long nanos) {
        millis.add(nanos / 1e6);
    }

    /** Runs {@code call}, adds its time, answers its result. */
    <T> T time(Supplier<T> call) {
        long t0 = System.nanoTime();
        T result = call.get();
        add(System.nanoTime() - t0);
        return result;
    }

    synchronized void clear() {
        millis.clear();
    }

    synchronized int count() {
        return millis.size();
    }

    synchronized double percentile(double p) {
        if (millis.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    double p50() {
        return percentile(50);
    }

    double p99() {
        return percentile(99);
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
