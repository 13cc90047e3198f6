package io.fairqueue.jobs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fairqueue.jobs.control.JobPositions.Facts;
import io.fairqueue.jobs.entity.Job;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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

    @Test
    void the_first_rule_that_holds_the_job_back_is_its_reason_in_the_claims_order() {
        Job night = job(true);
        assertEquals("QUEUE_PAUSED", JobPositions.reason(night, ALL, () -> false));
        Facts f = new Facts(false, 2, 2, 1, 1, true, true, 4, 4);
        assertEquals("OFF_PEAK_WINDOW", JobPositions.reason(night, f, () -> false));
        assertEquals("QUOTA_EXCEEDED", JobPositions.reason(night, f, () -> true));
        assertEquals("QUOTA_EXCEEDED", JobPositions.reason(job(false), f, () -> false), "the window only holds off-peak jobs");
        f = new Facts(false, 2, 2, 1, 1, false, true, 4, 4);
        assertEquals("USER_LIMIT", JobPositions.reason(job(false), f, () -> true));
        f = new Facts(false, 2, 2, 1, 1, false, false, 4, 4);
        assertEquals("QUEUE_LIMIT", JobPositions.reason(job(false), f, () -> true), "no user limit without per-user serialization");
        f = new Facts(false, 2, 1, 0, 1, false, true, 4, 4);
        assertEquals("GLOBAL_SLOTS", JobPositions.reason(job(false), f, () -> true));
        assertEquals("AHEAD_IN_QUEUE", JobPositions.reason(job(false), free(), () -> true));
    }

    @Test
    void the_estimate_divides_by_the_active_workers_else_the_global_slots_else_one() {
        assertEquals(NOW.plusSeconds(30), JobPositions.estimate(NOW, 3, 20.0, 2, null));
        assertEquals(NOW.plusSeconds(15), JobPositions.estimate(NOW, 3, 20.0, 0, 4));
        assertEquals(NOW.plusSeconds(60), JobPositions.estimate(NOW, 3, 20.0, 0, null));
    }
}
