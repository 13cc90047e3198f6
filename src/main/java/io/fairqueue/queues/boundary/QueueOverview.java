package io.fairqueue.queues.boundary;

import io.fairqueue.jobs.boundary.JobView;
import io.fairqueue.scheduling.boundary.SchedulingAdmin;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /queue}: the queue as a whole. {@code counts}: jobs by status (every status, zeros
 * included); {@code pending}: PENDING jobs by tier; {@code active}: slots in use (DISPATCHED +
 * RUNNING), the limit that bounds them (the queue's maxConcurrent with {@code queue}, else the
 * global slots; null = unlimited) and who holds them; {@code userLocks}: held per-user locks;
 * {@code avgWaitSecs}: mean wait (claim minus due time) of the last 100 completed jobs;
 * {@code jobs}: the first {@code limit} PENDING jobs in position order with their placement.
 */
public record QueueOverview(
        String queue,
        String userId,
        Map<String, Long> counts,
        Pending pending,
        Active active,
        List<SchedulingAdmin.Lock> userLocks,
        Double avgWaitSecs,
        List<JobView> jobs) {

    public record Pending(long urgent, long normal, long background, long total) {}

    public record Active(long slotsUsed, Integer slotsMax, List<UserSlots> byUser) {}

    public record UserSlots(String userId, int running, int maxConcurrent) {}
}
