package io.fairqueue.platform.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.function.Supplier;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/**
 * FairQueue's MicroProfile Metrics, served at {@code /metrics} (Prometheus text):
 * {@code fairqueue_claims_total}, {@code fairqueue_timer_duration_seconds{timer=...}} and
 * {@code fairqueue_queue_pending / _running / _dead_letter{queue=...}}, and for the live queue
 * events {@code fairqueue_events_streams} (open now), {@code fairqueue_events_ticks_total} and
 * {@code fairqueue_events_reads_total} (database reads: one per tick, whatever the streams).
 */
@ApplicationScoped
public class FairQueueMetrics {

    @Inject
    MetricRegistry registry;

    public void claimed(int jobs) {
        if (jobs > 0) {
            registry.counter("fairqueue.claims").inc(jobs);
        }
    }

    public void timerRan(String timer, Duration took) {
        registry.timer("fairqueue.timer.duration", new Tag("timer", timer)).update(took);
    }

    public void queueGauge(String metric, String queue, Supplier<Long> value) {
        registry.gauge("fairqueue.queue." + metric, value, new Tag("queue", queue));
    }

    public void streamsGauge(Supplier<Integer> open) {
        registry.gauge("fairqueue.events.streams", () -> open.get().longValue());
    }

    public void eventsTicked() {
        registry.counter("fairqueue.events.ticks").inc();
    }

    public void eventsRead() {
        registry.counter("fairqueue.events.reads").inc();
    }
}
