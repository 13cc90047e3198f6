package io.fairqueue.policies.control;

import io.fairqueue.platform.json.JsonText;
import io.fairqueue.policies.entity.SchedulingPolicy;
import jakarta.enterprise.context.Dependent;
import jakarta.json.JsonObject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Is it off-peak now? True when now lies inside any enabled OFF_PEAK policy's window, read in the
 * policy's time zone (default UTC). A window whose start is after its end wraps midnight
 * (22:00-08:00); start == end is the whole day. No enabled policy: never off-peak.
 *
 * <p>Every claim asks, so the enabled windows are kept in memory: read once, dropped the moment
 * any node changes a policy (the table's trigger notifies {@code fq_policies}, which
 * the node's LISTEN connection hears ({@code PolicyChanges})), and read again at least every
 * {@link #MAX_AGE_NANOS} whatever happens (a lost notification connection). A claim that runs
 * in the milliseconds between a policy's commit and its notification sees the windows of just
 * before, as if it had started a moment earlier.
 */
@Dependent
public class OffPeakWindows {

    private static final Logger LOG = Logger.getLogger(OffPeakWindows.class.getName());

    static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** The enabled windows (unusable configs left out), when they were read, and in which generation. */
    private record Loaded(List<Window> windows, long atNanos, long generation) {}

    private static volatile Loaded loaded;

    /** Bumped by {@link #invalidate}: a read that began before a change is not kept. */
    private static final AtomicLong GENERATION = new AtomicLong();

    @PersistenceContext
    EntityManager em;

    /** A policy changed somewhere: the next call reads the windows again. */
    public static void invalidate() {
        GENERATION.incrementAndGet();
        loaded = null;
    }

    public boolean isOpen(OffsetDateTime now) {
        return windows().stream().anyMatch(w -> w.contains(now));
    }

    /**
     * Is it off-peak now, and when does that change (null: never, as with no window or one that
     * spans the whole day)? Read from the table, not the node's copy, so a policy just saved shows
     * at once. The answer changes only at a window's start or end, so the first such instant
     * (in each window's zone, over the next two days) where the state flips is exact.
     */
    public Preview preview(OffsetDateTime now) {
        List<Window> windows = read();
        boolean open = windows.stream().anyMatch(w -> w.contains(now));
        java.util.TreeSet<OffsetDateTime> edges = new java.util.TreeSet<>();
        for (Window w : windows) {
            java.time.LocalDate today = now.atZoneSameInstant(w.zone()).toLocalDate();
            for (int day = -1; day <= 2; day++) {
                for (LocalTime t : List.of(w.start(), w.end())) {
                    OffsetDateTime edge = java.time.ZonedDateTime.of(today.plusDays(day), t, w.zone())
                            .toOffsetDateTime();
                    if (edge.isAfter(now)) {
                        edges.add(edge);
                    }
                }
            }
        }
        for (OffsetDateTime edge : edges) {
            if (windows.stream().anyMatch(w -> w.contains(edge)) != open) {
                return new Preview(open, edge, windows.size());
            }
        }
        return new Preview(open, null, windows.size());
    }

    /** Off-peak now or not, the instant that changes (null: never), and how many windows are enabled. */
    public record Preview(boolean offPeak, OffsetDateTime changesAt, int windows) {}

    private List<Window> windows() {
        Loaded l = loaded;
        if (l != null && l.generation() == GENERATION.get() && System.nanoTime() - l.atNanos() < MAX_AGE_NANOS) {
            return l.windows();
        }
        long generation = GENERATION.get();
        long at = System.nanoTime();
        List<Window> windows = read();
        // kept with the generation it was read in: a change that lands meanwhile makes it stale at
        // once, however the store and the invalidation interleave
        loaded = new Loaded(windows, at, generation);
        return windows;
    }

    private List<Window> read() {
        return em
                .createQuery(
                        "SELECT p FROM SchedulingPolicy p WHERE p.policyType = :t AND p.enabled = true",
                        SchedulingPolicy.class)
                .setParameter("t", SchedulingPolicy.OFF_PEAK)
                .getResultList()
                .stream()
                .map(OffPeakWindows::window)
                .flatMap(Optional::stream)
                .toList();
    }

    private static Optional<Window> window(SchedulingPolicy policy) {
        try {
            return Optional.of(Window.of(JsonText.parse(policy.config()).asJsonObject()));
        } catch (RuntimeException e) {
            LOG.warning("OFF_PEAK policy " + policy.id() + " has an unusable config and is ignored: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** One off-peak window: local start and end times in a zone. */
    public record Window(LocalTime start, LocalTime end, ZoneId zone) {

        public static Window of(JsonObject config) {
            try {
                return new Window(
                        LocalTime.parse(config.getString("start")),
                        LocalTime.parse(config.getString("end")),
                        ZoneId.of(config.getString("timezone", "UTC")));
            } catch (DateTimeException | NullPointerException | ClassCastException e) {
                throw new IllegalArgumentException(
                        "OFF_PEAK config needs \"start\" and \"end\" as HH:MM and an optional " + "valid \"timezone\"",
                        e);
            }
        }

        public boolean contains(OffsetDateTime now) {
            LocalTime t = now.atZoneSameInstant(zone).toLocalTime();
            if (start.equals(end)) {
                return true;
            }
            return start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end) : !t.isBefore(start) || t.isBefore(end);
        }
    }
}
