package io.fairqueue.it.support;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every answer a load thread got, counted by HTTP status ({@code "io"} for a call that got no
 * answer at all), and each failed answer (not 2xx) that is not what SPEC §7 asks of a call that
 * fails during an outage: a 503 {@code application/problem+json} whose {@code type} ends in
 * {@code service-unavailable}, with a {@code Retry-After} header.
 */
public final class Calls {

    private final Map<String, AtomicInteger> byStatus = new ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> slowest = new ConcurrentHashMap<>();
    private final List<String> improperFailures = Collections.synchronizedList(new ArrayList<>());

    /** Makes a call, counts its answer and notes its time; answers it back. */
    public Api.Res call(String what, java.util.function.Supplier<Api.Res> call) {
        long start = System.nanoTime();
        Api.Res r = call.get();
        long millis = (System.nanoTime() - start) / 1_000_000;
        slowest.computeIfAbsent(what + " " + r.status(), k -> new java.util.concurrent.atomic.AtomicLong())
                .accumulateAndGet(millis, Math::max);
        return record(what, r);
    }

    /** The slowest answer of each kind of call and status, in ms. */
    public Map<String, Long> slowestMillis() {
        Map<String, Long> out = new TreeMap<>();
        slowest.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Counts an answer; answers it back. */
    public Api.Res record(String what, Api.Res r) {
        byStatus.computeIfAbsent(String.valueOf(r.status()), k -> new AtomicInteger())
                .incrementAndGet();
        if (r.status() >= 300 && !isServiceUnavailable(r) && improperFailures.size() < 50) {
            improperFailures.add(what + " -> " + r.status() + " " + r.contentType() + " Retry-After="
                    + r.header("Retry-After") + " " + abbreviate(r.body()));
        }
        return r;
    }

    /** A call that got no answer (connection refused or reset: the node is gone). */
    public void noAnswer() {
        byStatus.computeIfAbsent("io", k -> new AtomicInteger()).incrementAndGet();
    }

    public static boolean isServiceUnavailable(Api.Res r) {
        return r.status() == 503
                && r.contentType().startsWith("application/problem+json")
                && r.body().matches("(?s).*\"type\"\\s*:\\s*\"[^\"]*service-unavailable\".*")
                && r.header("Retry-After") != null;
    }

    /** Counts by status, e.g. {200=512, 503=17}. */
    public Map<String, Integer> byStatus() {
        Map<String, Integer> out = new TreeMap<>();
        byStatus.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Calls that got an answer other than 2xx. */
    public int failed() {
        return byStatus().entrySet().stream()
                .filter(e -> !e.getKey().startsWith("2") && !e.getKey().equals("io"))
                .mapToInt(Map.Entry::getValue)
                .sum();
    }

    public int count(String status) {
        return byStatus().getOrDefault(status, 0);
    }

    /** Failed answers that are not a proper 503 problem (the first 50). */
    public List<String> improperFailures() {
        synchronized (improperFailures) {
            return List.copyOf(improperFailures);
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
