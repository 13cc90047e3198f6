package io.fairqueue.workers.boundary;

import io.fairqueue.workers.entity.Worker;
import java.time.OffsetDateTime;
import java.util.List;

/** A worker, with the jobs it runs now; {@code online} while it was heard from (heartbeat, claim) in the last two minutes. */
public record WorkerView(
        String id,
        String name,
        String ownerId,
        int capacity,
        String callbackUrl,
        List<String> queues,
        OffsetDateTime registeredAt,
        OffsetDateTime lastHeartbeatAt,
        boolean online,
        int running,
        List<Long> runningJobIds) {

    public static final java.time.Duration OFFLINE_AFTER = java.time.Duration.ofMinutes(2);

    /** The worker with the jobs it holds now (DISPATCHED or RUNNING, leased through it), lowest id first. */
    public static WorkerView of(Worker w, OffsetDateTime now, List<Long> runningJobIds) {
        return new WorkerView(
                w.id(),
                w.name(),
                w.ownerId(),
                w.capacity(),
                w.callbackUrl(),
                w.queues(),
                w.registeredAt(),
                w.lastHeartbeatAt(),
                !w.lastHeartbeatAt().isBefore(now.minus(OFFLINE_AFTER)),
                runningJobIds.size(),
                runningJobIds);
    }
}
