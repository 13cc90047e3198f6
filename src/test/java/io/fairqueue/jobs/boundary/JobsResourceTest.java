package io.fairqueue.jobs.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.fairqueue.jobs.entity.JobStatus;
import io.fairqueue.security.control.Caller;
import io.fairqueue.users.entity.Role;
import jakarta.persistence.PersistenceException;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

/** A submit that committed is answered with its job, even when the placement read after the commit fails. */
class JobsResourceTest {

    static JobView committed(long id) {
        return new JobView(
                id,
                "default",
                "alice",
                null,
                "render",
                null,
                0,
                "NORMAL",
                JobStatus.PENDING,
                null,
                false,
                0,
                3,
                null,
                null,
                null,
                OffsetDateTime.parse("2026-01-01T00:00:00Z"),
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    static JobsResource resourceWhoseReadsFail() {
        JobsResource r = new JobsResource();
        r.caller = new Caller("alice", Role.USER);
        r.jobs = new JobService() {
            @Override
            public JobView get(Caller caller, long id) {
                throw new PersistenceException("Error in allocating a connection");
            }
        };
        return r;
    }

    @Test
    void the_committed_job_is_the_answer_when_its_placement_cannot_be_read() {
        JobView job = committed(42);
        JobView answer = resourceWhoseReadsFail().placed(job);
        assertSame(job, answer);
        assertEquals(42, answer.id());
        assertNull(answer.position(), "no placement: it could not be read");
    }

    @Test
    void the_placed_job_is_the_answer_when_the_read_works() {
        JobsResource r = new JobsResource();
        r.caller = new Caller("alice", Role.USER);
        JobView placed = committed(7);
        r.jobs = new JobService() {
            @Override
            public JobView get(Caller caller, long id) {
                return placed;
            }
        };
        assertSame(placed, r.placed(committed(7)));
    }
}
