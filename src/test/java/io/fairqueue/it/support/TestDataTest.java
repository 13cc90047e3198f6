package io.fairqueue.it.support;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The bodies the builders write: members in order, strings escaped, explicit nulls kept. */
class TestDataTest {

    @Test
    void a_job_writes_its_members_in_order_with_the_tier_as_a_name() {
        assertEquals(
                "{\"queue\":\"q-1\",\"type\":\"render\",\"payload\":{\"frames\":24},\"priority\":\"URGENT\","
                        + "\"scheduledStartAt\":\"2030-01-01T12:00Z\",\"offPeakOnly\":true}",
                aJob().withQueue("q-1")
                        .withType("render")
                        .withPayload(object("frames", 24))
                        .withPriority(URGENT)
                        .withScheduledStartAt(OffsetDateTime.of(2030, 1, 1, 12, 0, 0, 0, ZoneOffset.UTC))
                        .withOffPeakOnly(true)
                        .toString());
        assertEquals("{\"priority\":-50}", aJob().withPriority(-50).toString());
        assertEquals(
                "{\"priority\":7}", aJob().withPriority(URGENT).withPriority(7).toString(), "the last wins");
    }

    @Test
    void strings_are_escaped_and_null_is_sent_as_json_null() {
        assertEquals(
                "{\"payload\":{\"s\":\"a\\\"b\\\\c {x,y}\",\"n\":[1,null]}}",
                aJob().withPayload(object("s", "a\"b\\c {x,y}", "n", array(1, null)))
                        .toString());
        assertEquals(
                "{\"maxConcurrent\":null,\"description\":null}",
                aQueue().withMaxConcurrent(null).withDescription(null).toString());
        assertEquals(
                "{\"monthlyHoursLimit\":12.5}",
                aUser().withMonthlyHoursLimit(12.5).toString());
        assertEquals(
                "{\"monthlyHoursLimit\":0.01}",
                aUser().withMonthlyHoursLimit(0.01).toString());
        assertEquals(
                "{\"workerId\":\"w\"}",
                aClaim("w").with("limit", 1).without("limit").toString());
    }

    @Test
    void nested_bodies_are_objects_and_arrays() {
        assertEquals(
                "{\"jobs\":[{\"queue\":\"q\",\"type\":\"a\",\"idempotencyKey\":\"k\"},{\"queue\":\"q\"}]}",
                aBatch(aJob().withQueue("q").withType("a").withIdempotencyKey("k"), aJob().withQueue("q"))
                        .toString());
        assertEquals(
                "{\"jobs\":[{\"id\":1,\"leaseToken\":\"t\"},{\"id\":2,\"leaseToken\":\"u\",\"result\":{\"ok\":true}}]}",
                aLeaseBatch()
                        .withJob(1, "t")
                        .withJob(2, "u", object("ok", true))
                        .toString());
        assertEquals(
                "{\"perUserSerialization\":{\"enabled\":true,\"lockTimeoutSeconds\":3600},\"globalSlots\":null}",
                theSettings()
                        .withSerializationEnabled(true)
                        .withLockTimeoutSeconds(3600)
                        .withGlobalSlots(null)
                        .toString());
        assertEquals(
                "{\"workerId\":\"w\",\"queues\":[\"a\",\"b\"],\"limit\":3,\"waitSeconds\":5}",
                aClaim("w").withQueues("a", "b").withLimit(3).withWaitSeconds(5).toString());
        assertEquals(
                "{\"jobId\":42,\"priority\":\"URGENT\"}",
                aReorder("42").withPriority(URGENT).toString());
    }
}
