package io.fairqueue.jobs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fairqueue.jobs.control.JobPositions.Facts;
import io.fairqueue.jobs.entity.Job;
import io.fairqueue.jobs.entity.WaitingReason;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The waiting reason's order (the claim's order of checks) and the estimate's slots. */
class JobPositionsTest {

    static final OffsetDateTime NOW = OffsetDateTime.of(2026, 11, 22, 12, 0, 0, 0, ZoneOffset.UTC);

    static Job job(boolean offPeakOnly) {
        return new Job("q", "alice", null, "t", null, 0, null, offPeakOnly, 3, null, null, NOW);
    }

    /** Everything that can hold a job back holds it back. */
    static final Facts ALL = new Facts(true, 2, 2, 1, 1, true, true, 4, 4);

    static Facts free() {
        return new Facts(false, null, 0, 0, 1, false, true, null, 0);
    }

    static WaitingReason first(Job job, Facts f, boolean offPeakOpen) {
        return JobPositions.reasons(job, f, () -> offPeakOpen).get(0);
    }

    @Test
    void the_first_rule_that_holds_the_job_back_is_its_reason_in_the_claims_order() {
        Job night = job(true);
        assertEquals(WaitingReason.QUEUE_PAUSED, first(night, ALL, false));
        Facts f = new Facts(false, 2, 2, 1, 1, true, true, 4, 4);
        assertEquals(WaitingReason.OFF_PEAK_WINDOW, first(night, f, false));
        assertEquals(WaitingReason.QUOTA_EXCEEDED, first(night, f, true));
        assertEquals(WaitingReason.QUOTA_EXCEEDED, first(job(false), f, false), "the window only holds off-peak jobs");
        f = new Facts(false, 2, 2, 1, 1, false, true, 4, 4);
        assertEquals(WaitingReason.USER_LIMIT, first(job(false), f, true));
        f = new Facts(false, 2, 2, 1, 1, false, false, 4, 4);
        assertEquals(
                WaitingReason.QUEUE_LIMIT, first(job(false), f, true), "no user limit without per-user serialization");
        f = new Facts(false, 2, 1, 0, 1, false, true, 4, 4);
        assertEquals(WaitingReason.GLOBAL_SLOTS, first(job(false), f, true));
        assertEquals(WaitingReason.AHEAD_IN_QUEUE, first(job(false), free(), true));
    }

    @Test
    void every_rule_that_holds_the_job_back_is_listed_in_the_claims_order() {
        assertEquals(
                List.of(
                        WaitingReason.QUEUE_PAUSED,
                        WaitingReason.OFF_PEAK_WINDOW,
                        WaitingReason.QUOTA_EXCEEDED,
                        WaitingReason.USER_LIMIT,
                        WaitingReason.QUEUE_LIMIT,
                        WaitingReason.GLOBAL_SLOTS),
                JobPositions.reasons(job(true), ALL, () -> false));
        assertEquals(
                List.of(WaitingReason.USER_LIMIT, WaitingReason.GLOBAL_SLOTS),
                JobPositions.reasons(job(false), new Facts(false, null, 0, 1, 1, false, true, 2, 2), () -> true));
        assertEquals(List.of(WaitingReason.AHEAD_IN_QUEUE), JobPositions.reasons(job(false), free(), () -> true));
    }

    @Test
    void the_estimate_divides_by_the_active_workers_else_the_global_slots_else_one() {
        assertEquals(NOW.plusSeconds(30), JobPositions.estimate(NOW, 3, 20.0, 2, null));
        assertEquals(NOW.plusSeconds(15), JobPositions.estimate(NOW, 3, 20.0, 0, 4));
        assertEquals(NOW.plusSeconds(60), JobPositions.estimate(NOW, 3, 20.0, 0, null));
    }
}
