package io.fairqueue.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.client.FairQueueWorker;
import io.fairqueue.client.Job;
import io.fairqueue.client.NonRetryableException;
import io.fairqueue.client.StopReason;
import io.fairqueue.client.Submission;
import io.fairqueue.client.cli.Fq;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every {@code fq} command against the real server, in process ({@link Fq#run}): its {@code -o json}
 * output and its exit code (0 ok, 1 error, 2 usage, 3 not found, 4 conflict). {@link FqWorkIT}
 * runs {@code fq work} and the launcher as real processes.
 */
@ExtendWith(FairQueueServer.Extension.class)
class CliIT {

    private final FairQueueServer server = FairQueueServer.get();

    /** One run of fq: exit code, stdout, stderr. */
    record Run(int code, String out, String err) {
        JsonValue json() {
            try (JsonReader r = Json.createReader(new StringReader(out))) {
                return r.readValue();
            }
        }

        JsonObject object() {
            return json().asJsonObject();
        }

        JsonArray array() {
            return json().asJsonArray();
        }
    }

    static Run fq(String token, String... args) {
        Map<String, String> env = new HashMap<>();
        env.put("FAIRQUEUE_URL", FairQueueServer.get().url());
        if (token != null) {
            env.put("FAIRQUEUE_TOKEN", token);
        }
        env.put("FAIRQUEUE_CONFIG", "target/no-such-fq-config");
        return fqWith(env, args);
    }

    static Run fqWith(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Fq.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void jobs_commands_print_json_and_exit_with_their_codes() {
        Fixtures.User user = Fixtures.user("USER", 1);
        String queue = Fixtures.queue(60);
        String t = user.token();

        Run submit = fq(
                t,
                "jobs",
                "submit",
                "--type",
                "render",
                "--queue",
                queue,
                "--payload",
                "{\"frames\":24}",
                "--priority",
                "urgent",
                "--key",
                "k1",
                "--project",
                "p1",
                "-o",
                "json");
        assertEquals(0, submit.code(), submit.err());
        JsonObject job = submit.object();
        long id = job.getJsonNumber("id").longValue();
        assertEquals("PENDING", job.getString("status"));
        assertEquals(10, job.getInt("priority"));
        assertEquals(24, job.getJsonObject("payload").getInt("frames"));
        assertEquals(
                id,
                fq(t, "jobs", "submit", "--type", "render", "--queue", queue, "--key", "k1", "-o", "json")
                        .object()
                        .getJsonNumber("id")
                        .longValue());
        long second = fq(t, "jobs", "submit", "--type", "thumb", "--queue", queue, "--priority", "-3", "-o", "json")
                .object()
                .getJsonNumber("id")
                .longValue();

        Run get = fq(t, "jobs", "get", String.valueOf(id), "-o", "json");
        assertEquals(0, get.code());
        assertEquals("p1", get.object().getString("projectId"));
        assertEquals(3, fq(t, "jobs", "get", "987654321").code(), "not found");

        JsonObject why =
                fq(t, "jobs", "why", String.valueOf(second), "-o", "json").object();
        assertEquals(2, why.getInt("userPosition"), "behind the user's urgent job");
        assertTrue(why.getInt("position") >= 2);
        assertTrue(why.getBoolean("waiting"));
        assertEquals("AHEAD_IN_QUEUE", why.getJsonArray("waitingReasons").getString(0));
        assertTrue(why.containsKey("estimatedStartAt"));

        Run jsonl = fq(t, "jobs", "list", "--queue", queue, "-o", "jsonl");
        assertEquals(2, jsonl.out().lines().count());
        assertEquals(
                second,
                Json.createReader(
                                new StringReader(jsonl.out().lines().findFirst().orElseThrow()))
                        .readObject()
                        .getJsonNumber("id")
                        .longValue());
        Run table = fq(t, "jobs", "list", "--queue", queue, "--status", "PENDING");
        assertTrue(table.out().startsWith("ID"), table.out());
        assertEquals(3, table.out().lines().count(), "a header and two rows");

        assertEquals(
                "PAUSED",
                fq(t, "jobs", "pause", String.valueOf(id), "--reason", "wait", "-o", "json")
                        .object()
                        .getString("status"));
        assertEquals(
                "PENDING",
                fq(t, "jobs", "resume", String.valueOf(id), "-o", "json")
                        .object()
                        .getString("status"));
        Run unconfirmed = fq(t, "jobs", "cancel", String.valueOf(id));
        assertEquals(2, unconfirmed.code());
        assertTrue(unconfirmed.err().contains("--yes"));
        assertEquals("PENDING", Fixtures.status(id), "nothing happened without --yes");
        Run cancel = fq(t, "jobs", "cancel", String.valueOf(id), "--yes", "--reason", "obsolete", "-o", "json");
        assertEquals("CANCELLED", cancel.object().getString("status"));
        Run again = fq(t, "jobs", "cancel", String.valueOf(id), "--yes", "-o", "json");
        assertEquals(4, again.code(), "conflict");
        assertTrue(again.err().contains("invalid-transition"), again.err());
        assertEquals(4, fq(t, "jobs", "retry", String.valueOf(id)).code(), "not dead-lettered");

        JsonArray audit =
                fq(t, "jobs", "transitions", String.valueOf(id), "-o", "json").array();
        JsonObject last = audit.getJsonObject(audit.size() - 1);
        assertEquals("CANCELLED", last.getString("to"));
        assertEquals("obsolete", last.getString("reason"));

        assertEquals(
                2, fq(t, "jobs", "submit", "--type", "x", "--priority", "huge").code(), "usage");
        assertEquals(
                2,
                fq(t, "jobs", "submit", "--type", "x", "--payload", "{not json").code(),
                "usage");
        assertEquals(2, fq(t, "jobs", "frobnicate").code(), "unknown verb");
        assertEquals(2, fq(t).code(), "no command");
        Run invalid = fq(t, "jobs", "submit", "--type", "x", "--queue", queue, "--priority", "500", "-o", "json");
        assertEquals(1, invalid.code());
        assertEquals(
                "priority",
                Json.createReader(new StringReader(invalid.err())).readObject().getString("field"));
        assertEquals(1, fq("wrong-token", "jobs", "get", String.valueOf(id)).code(), "unauthorized");
        assertFalse(fq("wrong-token", "jobs", "get", String.valueOf(id)).err().contains("wrong-token"));
    }

    @Test
    void queue_and_queues_commands() {
        String admin = server.adminToken();
        String name = Fixtures.unique("cliq");
        Run created = fq(
                admin,
                "queues",
                "create",
                name,
                "--lease-seconds",
                "30",
                "--max-concurrent",
                "3",
                "--description",
                "for the CLI test",
                "-o",
                "json");
        assertEquals(0, created.code(), created.err());
        assertEquals(30, created.object().getInt("leaseSeconds"));
        assertEquals(3, created.object().getInt("maxConcurrent"));
        assertEquals(4, fq(admin, "queues", "create", name).code(), "queue-exists");
        assertTrue(fq(admin, "queues", "list", "-o", "json").array().getValuesAs(JsonObject.class).stream()
                .anyMatch(q -> q.getString("name").equals(name)));
        assertTrue(fq(admin, "queues", "pause", name, "-o", "json").object().getBoolean("paused"));
        assertFalse(fq(admin, "queues", "resume", name, "-o", "json").object().getBoolean("paused"));
        assertEquals(3, fq(admin, "queues", "pause", "no-such-queue").code());

        Fixtures.User u = Fixtures.user("USER", 1);
        for (int i = 0; i < 3; i++) {
            assertEquals(
                    0,
                    fq(
                                    u.token(),
                                    "jobs",
                                    "submit",
                                    "--type",
                                    "t",
                                    "--queue",
                                    name,
                                    "--priority",
                                    i == 0 ? "URGENT" : "NORMAL")
                            .code());
        }
        JsonObject status =
                fq(admin, "queue", "status", "--queue", name, "-o", "json").object();
        assertEquals(3, status.getJsonObject("pending").getInt("total"));
        assertEquals(1, status.getJsonObject("pending").getInt("urgent"));
        assertEquals(name, status.getString("queue"));
        Run table = fq(admin, "queue", "status", "--queue", name);
        assertTrue(table.out().contains("pending: urgent 1, normal 2, background 0, total 3"), table.out());
        assertTrue(table.out().contains("active: 0 of 3 slots"), table.out());

        assertEquals(
                2,
                fq(admin, "queue", "clear", "--queue", name, "--user", u.id()).code());
        JsonObject cleared = fq(admin, "queue", "clear", "--queue", name, "--user", u.id(), "--yes", "-o", "json")
                .object();
        assertEquals(3, cleared.getInt("cancelled"));
        assertEquals(u.id(), cleared.getString("userId"));
        assertEquals(
                3,
                fq(admin, "queue", "clear", "--queue", "no-such-queue", "--yes").code());
    }

    @Test
    void locks_usage_workers_and_dead_letter_commands() throws Exception {
        String admin = server.adminToken();
        String queue = Fixtures.queue(6);
        Fixtures.User user = Fixtures.user("USER", 2);
        Fixtures.User fleet = Fixtures.user("WORKER", 1);
        Map<Long, StopReason> stops = new java.util.concurrent.ConcurrentHashMap<>();
        CountDownLatch running = new CountDownLatch(2);
        try (FairQueueWorker worker = FairQueueWorker.builder(server.client(fleet.token()))
                .name("cli-test-worker")
                .grace(Duration.ofSeconds(1))
                .queues(List.of(queue))
                .slots(2)
                .longPollSeconds(1)
                .shutdownHook(false)
                .handle("hold", (p, ctx) -> {
                    running.countDown();
                    ctx.awaitStop(Duration.ofSeconds(60));
                    stops.put(ctx.jobId(), ctx.stopReason().orElse(null));
                    return null;
                })
                .handle("doomed", (p, ctx) -> {
                    throw new NonRetryableException("cannot ever work");
                })
                .build()
                .start()) {
            var owner = server.client(user.token());
            long a = owner.submit(Submission.of("hold").queue(queue).maxRetries(0))
                    .id();
            long b = owner.submit(Submission.of("hold").queue(queue).maxRetries(0))
                    .id();
            assertTrue(running.await(15, TimeUnit.SECONDS));

            List<JsonObject> locks =
                    mine(fq(admin, "locks", "list", "-o", "json").array(), user.id());
            assertEquals(2, locks.size());
            assertTrue(locks.get(0).containsKey("acquiredAt") && locks.get(0).containsKey("expiresAt"));
            assertEquals(1, fq(user.token(), "locks", "list").code(), "forbidden for a USER");

            assertEquals(
                    2,
                    fq(admin, "locks", "release", user.id(), "--job", String.valueOf(a))
                            .code());
            JsonObject released = fq(
                            admin,
                            "locks",
                            "release",
                            user.id(),
                            "--job",
                            String.valueOf(a),
                            "--reason",
                            "node drained",
                            "--yes",
                            "-o",
                            "json")
                    .object();
            assertTrue(
                    fq(admin, "jobs", "transitions", String.valueOf(a), "-o", "json").array().stream()
                            .map(JsonValue::asJsonObject)
                            .anyMatch(t -> t.getString("reason", "").endsWith(": node drained")),
                    "the reason is kept in the job's transition");
            assertEquals(
                    List.of((int) a),
                    released.getJsonArray("jobIds").getValuesAs(jakarta.json.JsonNumber.class).stream()
                            .map(jakarta.json.JsonNumber::intValue)
                            .toList());
            assertEquals(
                    3,
                    fq(admin, "locks", "release", "nobody-" + user.id(), "--yes")
                            .code());

            assertTrue(
                    mine(
                                    fq(admin, "locks", "cleanup-stale", "--older-than", "3600", "--yes", "-o", "json")
                                            .array(),
                                    user.id())
                            .isEmpty(),
                    "a fresh lock is not stale");
            assertEquals(
                    2, fq(admin, "locks", "cleanup-stale", "--older-than", "0").code(), "needs --yes");
            List<JsonObject> dry = mine(
                    fq(admin, "locks", "cleanup-stale", "--older-than", "0", "--dry-run", "-o", "json")
                            .array(),
                    user.id());
            assertEquals(1, dry.size());
            assertFalse(dry.get(0).getBoolean("released"));
            Thread.sleep(1100);
            List<JsonObject> cleaned = mine(
                    fq(admin, "locks", "cleanup-stale", "--older-than", "1", "--yes", "-o", "json")
                            .array(),
                    user.id());
            assertEquals(1, cleaned.size());
            assertEquals(b, cleaned.get(0).getJsonNumber("jobId").longValue());
            assertTrue(cleaned.get(0).getBoolean("released"));
            Fixtures.await("both handlers told", Duration.ofSeconds(10), () -> stops.size() == 2);
            assertEquals(StopReason.LEASE_LOST, stops.get(a), "a released lock revokes the lease");
            assertTrue(mine(fq(admin, "locks", "list", "-o", "json").array(), user.id())
                    .isEmpty());

            JsonObject usage = fq(user.token(), "usage", "-o", "json").object();
            assertEquals(user.id(), usage.getString("userId"));
            assertTrue(usage.getJsonObject("day").containsKey("usedSecs"));
            assertEquals(
                    user.id(),
                    fq(admin, "usage", "--user", user.id(), "-o", "json")
                            .object()
                            .getString("userId"));
            assertTrue(fq(user.token(), "usage").out().contains("day"));

            JsonArray workers =
                    fq(fleet.token(), "workers", "list", "-o", "json").array();
            assertTrue(workers.getValuesAs(JsonObject.class).stream()
                    .anyMatch(w -> w.getString("id").equals(worker.workerId()) && w.getBoolean("online")));

            long doomed = owner.submit(Submission.of("doomed").queue(queue)).id();
            Fixtures.await(
                    "the doomed job dead-lettered",
                    Duration.ofSeconds(15),
                    () -> Fixtures.status(doomed).equals("FAILED"));
            JsonArray dead = fq(user.token(), "dead-letter", "list", "--queue", queue, "-o", "json")
                    .array();
            assertEquals(doomed, dead.getJsonObject(0).getJsonNumber("id").longValue());
            assertTrue(dead.getJsonObject(0).getString("lastError").contains("cannot ever work"));
            assertEquals(2, fq(user.token(), "dead-letter", "retry").code(), "a filter or --all");
            assertTrue(fq(user.token(), "dead-letter", "retry", "--queue", queue, "--type", "other", "-o", "json")
                    .array()
                    .isEmpty());
            JsonArray retried = fq(
                            user.token(), "dead-letter", "retry", "--queue", queue, "--type", "doomed", "-o", "json")
                    .array();
            assertEquals(1, retried.size());
            long newId = retried.getJsonObject(0).getJsonNumber("newId").longValue();
            Job fresh = owner.get(newId);
            assertEquals(doomed, fresh.retryOf().orElseThrow());
        }
    }

    @Test
    void watch_follows_the_event_stream_and_polls() throws Exception {
        Fixtures.User user = Fixtures.user("USER", 1);
        String queue = Fixtures.queue(60);
        AtomicReference<Run> watched = new AtomicReference<>();
        Thread watcher = new Thread(
                () -> watched.set(fq(user.token(), "watch", "--count", "3", "--duration", "20", "-o", "jsonl")));
        watcher.start();
        Thread.sleep(1500);
        long id = server.client(user.token())
                .submit(Submission.of("seen").queue(queue))
                .id();
        watcher.join(25_000);
        Run run = watched.get();
        assertEquals(0, run.code(), run.err());
        List<JsonObject> events = run.out()
                .lines()
                .map(l -> Json.createReader(new StringReader(l)).readObject())
                .toList();
        assertTrue(events.size() >= 2, run.out());
        assertTrue(events.stream().allMatch(e -> e.containsKey("event") && e.containsKey("data")));
        assertTrue(
                events.stream()
                        .filter(e -> e.getString("event").equals("jobs"))
                        .flatMap(e -> e.getJsonArray("data").getValuesAs(JsonObject.class).stream())
                        .anyMatch(j -> j.getJsonNumber("id").longValue() == id),
                run.out());

        Run polled = fq(user.token(), "watch", "--poll", "--count", "1", "-o", "json");
        assertEquals(0, polled.code());
        JsonObject counts =
                Json.createReader(new StringReader(polled.out().strip())).readObject();
        assertEquals("counts", counts.getString("event"));
        assertEquals(1, counts.getJsonObject("data").getJsonObject("pending").getInt("total"));
        String table = fq(user.token(), "watch", "--poll", "--count", "1").out();
        assertTrue(table.startsWith("1 pending (urgent 0, normal 1, background 0) | running 0"), table);
    }

    @Test
    void the_profile_file_supplies_url_and_token_and_flags_win() throws Exception {
        Fixtures.User user = Fixtures.user("USER", 1);
        java.nio.file.Path config = java.nio.file.Files.createTempFile("fq-config", ".properties");
        java.nio.file.Files.writeString(
                config,
                "url=http://127.0.0.1:1\ntoken=wrong\nci.url=" + server.url() + "\nci.token=" + user.token() + "\n");
        Map<String, String> env = Map.of("FAIRQUEUE_CONFIG", config.toString());
        JsonObject usage = fqWith(env, "--profile", "ci", "usage", "-o", "json").object();
        assertEquals(user.id(), usage.getString("userId"));
        assertEquals(
                user.id(),
                fqWith(env, "usage", "--url", server.url(), "--token", user.token(), "-o", "json")
                        .object()
                        .getString("userId"));
        assertEquals(1, fqWith(env, "usage").code(), "the default profile points nowhere");
        assertEquals(2, fqWith(env, "--profile", "nope", "usage").code(), "an unknown profile is a usage error");
    }

    private static List<JsonObject> mine(JsonArray rows, String user) {
        return rows.getValuesAs(JsonObject.class).stream()
                .filter(r -> r.getString("userId").equals(user))
                .collect(Collectors.toList());
    }
}
