package io.fairqueue.jobs.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

/** The intent methods move status only through the table and return the audit row. */
class JobTest {

    static final OffsetDateTime T0 = OffsetDateTime.parse("2026-01-01T10:00:00Z");

    static Job aJob(OffsetDateTime scheduledStart) {
        return new Job("default", "alice", null, "render", null, 0, scheduledStart, false, 1, null, null, T0);
    }

    @Test
    void a_job_with_a_future_start_is_created_scheduled_otherwise_pending() {
        assertEquals(JobStatus.SCHEDULED, aJob(T0.plusMinutes(5)).status());
        assertEquals(JobStatus.PENDING, aJob(T0.minusMinutes(5)).status());
        assertEquals(JobStatus.PENDING, aJob(null).status());
    }

    @Test
    void an_invalid_move_throws_and_leaves_the_status_alone() {
        Job job = aJob(null);
        InvalidTransitionException e = assertThrows(InvalidTransitionException.class, () -> job.start(T0, "w"));
        assertEquals(JobStatus.PENDING, e.from());
        assertEquals(JobStatus.RUNNING, e.to());
        assertEquals(JobStatus.PENDING, job.status());
    }

    @Test
    void pause_and_resume_return_audit_rows_naming_who_and_why() {
        Job job = aJob(null);
        Transition paused = job.pause(T0, "admin", "maintenance");
        assertEquals(JobStatus.PENDING, paused.from());
        assertEquals(JobStatus.PAUSED, paused.to());
        assertEquals("admin", paused.triggeredBy());
        assertEquals("maintenance", paused.reason());
        Transition resumed = job.resume(T0.plusSeconds(1), "alice");
        assertEquals(JobStatus.PENDING, resumed.to());
    }

    @Test
    void resume_before_the_scheduled_start_returns_to_scheduled() {
        Job job = aJob(T0.plusHours(1));
        job.pause(T0, "alice", null);
        assertEquals(JobStatus.SCHEDULED, job.resume(T0.plusMinutes(1), "alice").to());
    }

    @Test
    void cancel_is_final() {
        Job job = aJob(null);
        job.cancel(T0, "alice", null);
        assertEquals(T0, job.finishedAt());
        assertThrows(InvalidTransitionException.class, () -> job.resume(T0, "alice"));
        assertThrows(InvalidTransitionException.class, () -> job.reprioritize(10, T0, "admin", null));
    }

    @Test
    void only_a_failed_job_can_be_retried_as_new() {
        Job job = aJob(null);
        assertThrows(InvalidTransitionException.class, () -> job.retryAsNew(T0));
        assertNull(job.retryOf());
    }

    /** A job in {@code status}, set directly (claims happen in SQL, so no intent method reaches DISPATCHED). */
    static Job inState(JobStatus status) {
        Job job = aJob(null);
        try {
            java.lang.reflect.Field f = Job.class.getDeclaredField("status");
            f.setAccessible(true);
            f.set(job, status);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        return job;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(
            value = JobStatus.class,
            names = "PAUSED",
            mode = org.junit.jupiter.params.provider.EnumSource.Mode.EXCLUDE)
    void resume_applies_to_a_paused_job_only(JobStatus status) {
        Job job = inState(status);
        InvalidTransitionException e = assertThrows(InvalidTransitionException.class, () -> job.resume(T0, "alice"));
        assertEquals(status, e.from());
        assertEquals(status, job.status());
        org.junit.jupiter.api.Assertions.assertTrue(
                e.getMessage().startsWith("resume applies only to a PAUSED job"), e.getMessage());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(
            value = JobStatus.class,
            names = "DISPATCHED",
            mode = org.junit.jupiter.params.provider.EnumSource.Mode.EXCLUDE)
    void a_release_applies_to_a_dispatched_job_only(JobStatus status) {
        Job job = inState(status);
        assertThrows(InvalidTransitionException.class, () -> job.release(T0, null, "push failed"));
        assertEquals(status, job.status());
    }

    @Test
    void a_dispatched_job_is_released_to_pending() {
        assertEquals(
                JobStatus.PENDING,
                inState(JobStatus.DISPATCHED).release(T0, null, "push failed").to());
    }

    @Test
    void a_lost_workers_job_is_due_for_its_retry_at_once_and_goes_back_to_pending() {
        Job job = inState(JobStatus.RUNNING);
        assertEquals(JobStatus.RETRY_WAIT, job.loseWorker("lease expired", T0).to());
        assertTrue(job.retryIsDue(T0));
        Transition back = job.retryDue(T0);
        assertEquals(JobStatus.RETRY_WAIT, back.from());
        assertEquals(JobStatus.PENDING, back.to());
        assertNull(back.triggeredBy(), "the system moved it");
        assertEquals("retry backoff elapsed", back.reason());
        assertNull(job.nextRetryAt());
        assertFalse(job.retryIsDue(T0));
    }

    @Test
    void a_failed_attempt_is_not_retried_before_its_backoff_has_elapsed() {
        Job job = inState(JobStatus.RUNNING);
        job.fail("boom", true, 10, T0, "worker");
        assertFalse(job.retryIsDue(T0.plusSeconds(9)));
        assertThrows(IllegalStateException.class, () -> job.retryDue(T0.plusSeconds(9)));
        assertEquals(JobStatus.RETRY_WAIT, job.status());
        assertTrue(job.retryIsDue(T0.plusSeconds(10)));
        assertThrows(InvalidTransitionException.class, () -> aJob(null).retryDue(T0), "only from RETRY_WAIT");
        assertThrows(
                InvalidTransitionException.class,
                () -> inState(JobStatus.DISPATCHED).retryDue(T0),
                "not a release");
    }
}
