package io.fairqueue.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.client.FairQueueClient;
import io.fairqueue.client.FairQueueClient.JobQuery;
import io.fairqueue.client.FairQueueClient.Submitted;
import io.fairqueue.client.Job;
import io.fairqueue.client.Problems.ConflictException;
import io.fairqueue.client.Problems.ForbiddenException;
import io.fairqueue.client.Problems.InvalidInputException;
import io.fairqueue.client.Problems.NotFoundException;
import io.fairqueue.client.Problems.UnauthorizedException;
import io.fairqueue.client.QueueEvent;
import io.fairqueue.client.Submission;
import io.fairqueue.client.Submission.Tier;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The producer API against a real server: every call's answer, and problems as typed exceptions. */
@ExtendWith(FairQueueServer.Extension.class)
public class ProducerIT {

    /** A payload as an application would write it: a record. */
    public record Scene(String scene, int frames) {}

    private final FairQueueServer server = FairQueueServer.get();

    @Test
    void submit_get_list_and_lifecycle_round_trip() {
        Fixtures.User alice = Fixtures.user("USER", 1);
        String queue = Fixtures.queue(60);
        FairQueueClient fq = server.client(alice.token());

        Job job = fq.submit(Submission.of("render")
                .queue(queue)
                .payload(new Scene("intro", 240))
                .tier(Tier.URGENT)
                .project("film-1")
                .idempotencyKey("render-intro"));
        assertEquals("PENDING", job.status());
        assertEquals(10, job.priority());
        assertEquals("URGENT", job.tier());
        assertEquals(alice.id(), job.userId());
        assertEquals("film-1", job.projectId().orElseThrow());
        assertEquals(240, job.payload().orElseThrow().asJsonObject().getInt("frames"));

        Job again = fq.submit(Submission.of("render").queue(queue).idempotencyKey("render-intro"));
        assertEquals(job.id(), again.id(), "the same key answers the first job");

        Job placed = fq.get(job.id());
        assertTrue(placed.position().orElseThrow() >= 1);
        assertEquals(1L, placed.userPosition().orElseThrow());
        assertTrue(placed.estimatedStartAt().isPresent());
        assertEquals(List.of("AHEAD_IN_QUEUE"), placed.waitingReasons());

        Job later = fq.submit(Submission.of("render")
                .queue(queue)
                .priority(-5)
                .offPeakOnly(false)
                .scheduledStartAt(OffsetDateTime.now().plusHours(2)));
        assertEquals("SCHEDULED", later.status());
        assertEquals(List.of("SCHEDULED"), fq.get(later.id()).waitingReasons());

        List<Submitted> batch = fq.submitBatch(IntStream.range(0, 3)
                .mapToObj(i -> Submission.of("thumb")
                        .queue(queue)
                        .payload(new Scene("s" + i, i))
                        .idempotencyKey("t" + i))
                .toList());
        assertEquals(3, batch.size());
        assertTrue(batch.stream().allMatch(Submitted::created));
        assertFalse(fq.submitBatch(List.of(Submission.of("thumb").queue(queue).idempotencyKey("t0")))
                .get(0)
                .created());

        List<Job> listed = fq.list(new JobQuery(null, queue, null, 2)).toList();
        assertEquals(5, listed.size(), "five jobs over three pages of two");
        assertEquals(batch.get(2).job().id(), listed.get(0).id(), "newest first");
        assertEquals(
                3,
                fq.list(JobQuery.all().inQueue(queue).withStatus("PENDING").ofUser(alice.id()))
                        .filter(j -> j.type().equals("thumb"))
                        .count());

        assertEquals("PAUSED", fq.pause(job.id(), "hold on").status());
        assertEquals("PENDING", fq.resume(job.id()).status());
        assertEquals("CANCELLED", fq.cancel(job.id(), "not needed").status());
        List<JsonObject> audit = fq.transitions(job.id());
        JsonObject last = audit.get(audit.size() - 1);
        assertEquals("CANCELLED", last.getString("to"));
        assertEquals("not needed", last.getString("reason"));
        assertEquals(alice.id(), last.getString("triggeredBy"));

        JsonObject view = fq.queueView(queue, null, 10);
        assertEquals(3, view.getJsonObject("pending").getInt("total"));
        assertEquals(3, view.getJsonArray("jobs").size());
        assertEquals(alice.id(), fq.quotaStatus(null).getString("userId"));
        assertEquals(4, fq.clearQueue(queue, alice.id()), "three pending thumbs and the scheduled render");
        assertEquals("CANCELLED", fq.get(batch.get(0).job().id()).status());
    }

    @Test
    void problems_become_typed_exceptions_with_type_status_and_field() {
        Fixtures.User bob = Fixtures.user("USER", 1);
        String queue = Fixtures.queue(60);
        FairQueueClient fq = server.client(bob.token());

        InvalidInputException bad = assertThrows(
                InvalidInputException.class,
                () -> fq.submit(Submission.of("x").queue(queue).priority(500)));
        assertEquals(400, bad.status());
        assertEquals("invalid-input", bad.typeName());
        assertEquals("priority", bad.field().orElseThrow());

        NotFoundException missing = assertThrows(NotFoundException.class, () -> fq.get(987_654_321L));
        assertEquals(404, missing.status());
        assertEquals("https://fairqueue.io/problems/not-found", missing.type());

        Job job = fq.submit(Submission.of("x").queue(queue));
        fq.cancel(job.id(), null);
        ConflictException conflict = assertThrows(ConflictException.class, () -> fq.cancel(job.id(), null));
        assertEquals(409, conflict.status());
        assertEquals("invalid-transition", conflict.typeName());
        assertEquals("CANCELLED", conflict.currentState().orElseThrow());

        ConflictException notDead = assertThrows(ConflictException.class, () -> fq.retry(job.id()));
        assertEquals("not-dead-lettered", notDead.typeName());

        assertThrows(ForbiddenException.class, () -> fq.admin().locks());
        UnauthorizedException unauthorized = assertThrows(
                UnauthorizedException.class,
                () -> server.client("not-a-token-of-anyone").get(job.id()));
        assertEquals(401, unauthorized.status());
        assertFalse(unauthorized.getMessage().contains("not-a-token-of-anyone"), "tokens never reach messages");
    }

    @Test
    void the_event_subscription_delivers_the_callers_job_changes() throws Exception {
        Fixtures.User carol = Fixtures.user("USER", 1);
        String queue = Fixtures.queue(60);
        FairQueueClient fq = server.client(carol.token());
        List<QueueEvent> events = new CopyOnWriteArrayList<>();
        try (var subscription = fq.subscribe(events::add, e -> {})) {
            Fixtures.await("the stream to open", Duration.ofSeconds(10), () -> !events.isEmpty());
            Job job = fq.submit(Submission.of("watch-me").queue(queue));
            Fixtures.await(
                    "a jobs event naming job " + job.id(),
                    Duration.ofSeconds(15),
                    () -> events.stream()
                            .filter(e -> e.event().equals("jobs"))
                            .flatMap(e -> e.data().asJsonArray().getValuesAs(JsonObject.class).stream())
                            .anyMatch(o -> o.getJsonNumber("id").longValue() == job.id()
                                    && o.getString("status").equals("PENDING")));
        }
        assertTrue(events.stream().anyMatch(e -> e.event().equals("counts")), "the stream opens with the counts");
    }
}
