package io.fairqueue.workers.boundary;

import io.fairqueue.workers.entity.Worker;
import java.time.OffsetDateTime;
import java.util.List;

public record WorkerView(String id, String name, String ownerId, int capacity, String callbackUrl, List<String> queues,
        OffsetDateTime registeredAt, OffsetDateTime lastHeartbeatAt) {

    public static WorkerView of(Worker w) {
        return new WorkerView(w.id(), w.name(), w.ownerId(), w.capacity(), w.callbackUrl(), w.queues(),
                w.registeredAt(), w.lastHeartbeatAt());
    }
}
