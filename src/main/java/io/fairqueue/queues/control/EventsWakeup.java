package io.fairqueue.queues.control;

import io.fairqueue.platform.control.NotificationListener;
import io.fairqueue.scheduling.control.ClaimWakeups;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * Brings the queue events' next tick forward when a job becomes PENDING or a slot is released
 * (the {@code fq_claimable} notification that also wakes waiting claims), so a submitted job
 * reaches the open streams in tens of milliseconds instead of up to a tick later.
 */
@ApplicationScoped
public class EventsWakeup implements NotificationListener {

    @Inject
    QueueEvents events;

    @Override
    public Set<String> channels() {
        return Set.of(ClaimWakeups.CHANNEL);
    }

    @Override
    public void notified(String channel, String payload) {
        events.soon();
    }
}
