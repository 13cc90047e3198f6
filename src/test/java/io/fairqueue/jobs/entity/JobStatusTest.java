package io.fairqueue.jobs.entity;

import static io.fairqueue.jobs.entity.JobStatus.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every one of the 81 from/to pairs against the table in SPEC §2. */
class JobStatusTest {

    static final Map<JobStatus, Set<JobStatus>> SPEC = Map.of(
            SCHEDULED, EnumSet.of(PENDING, PAUSED, CANCELLED),
            PENDING, EnumSet.of(DISPATCHED, PAUSED, CANCELLED),
            DISPATCHED, EnumSet.of(RUNNING, PENDING, RETRY_WAIT, FAILED, PAUSED, CANCELLED),
            RUNNING, EnumSet.of(COMPLETED, RETRY_WAIT, FAILED, PAUSED, CANCELLED),
            RETRY_WAIT, EnumSet.of(PENDING, PAUSED, CANCELLED),
            PAUSED, EnumSet.of(PENDING, SCHEDULED, CANCELLED),
            COMPLETED, EnumSet.noneOf(JobStatus.class),
            FAILED, EnumSet.noneOf(JobStatus.class),
            CANCELLED, EnumSet.noneOf(JobStatus.class));

    static Stream<Arguments> everyPair() {
        return Stream.of(values()).flatMap(from -> Stream.of(values()).map(to -> Arguments.of(from, to)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void transition_is_allowed_exactly_when_the_spec_table_says_so(JobStatus from, JobStatus to) {
        assertEquals(SPEC.get(from).contains(to), from.canMoveTo(to));
    }

    @Test
    void exactly_completed_failed_and_cancelled_are_terminal() {
        for (JobStatus s : values()) {
            assertEquals(s == COMPLETED || s == FAILED || s == CANCELLED, s.isTerminal(), s.name());
        }
    }

    @Test
    void every_waiting_state_can_be_cancelled_by_a_queue_clear() {
        for (JobStatus s : WAITING) {
            assertTrue(s.canMoveTo(CANCELLED), s.name());
        }
    }

    @Test
    void only_dispatched_and_running_hold_a_slot() {
        for (JobStatus s : values()) {
            assertEquals(s == DISPATCHED || s == RUNNING, s.holdsSlot(), s.name());
        }
    }
}
