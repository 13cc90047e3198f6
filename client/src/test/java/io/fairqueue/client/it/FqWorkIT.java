package io.fairqueue.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.client.FairQueueClient;
import io.fairqueue.client.Job;
import io.fairqueue.client.Submission;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code fq work} and the {@code client/fq} launcher as real processes: a shell script per job,
 * with the payload on stdin and FQ_* in its environment; exit 0 completes with stdout (JSON or
 * text), another exit fails with the stderr tail, a cancel kills the script, and SIGTERM to
 * {@code fq work} hands its running job back (nothing left leased).
 */
@ExtendWith(FairQueueServer.Extension.class)
class FqWorkIT {

    private static final String SCRIPT = """
            #!/bin/sh
            input=$(cat)
            case "$FQ_JOB_TYPE" in
              json) printf '{"id":"%s","type":"%s","user":"%s","payload":%s}\\n' "$FQ_JOB_ID" "$FQ_JOB_TYPE" "$FQ_USER" "$input" ;;
              text) echo "plain text from $FQ_JOB_ID" ;;
              fail) echo "some output"; echo "first line" >&2; echo "boom: no frames" >&2; exit 3 ;;
              sleep) echo $$ > "$PIDS/$FQ_JOB_ID.pid"; sleep 120 & wait ;;
            esac
            """;

    private final FairQueueServer server = FairQueueServer.get();

    @Test
    void fq_work_runs_a_script_per_job_and_hands_back_on_sigterm() throws Exception {
        String queue = Fixtures.queue(6); // heartbeat every 2 s
        Fixtures.User user = Fixtures.user("USER", 4);
        Fixtures.User fleet = Fixtures.user("WORKER", 1);
        Path dir = Files.createTempDirectory("fq-work");
        Path script = dir.resolve("job.sh");
        Files.writeString(script, SCRIPT);
        script.toFile().setExecutable(true);
        Path pids = Files.createDirectories(dir.resolve("pids"));

        Path log = Path.of("target/fq-work.log");
        ProcessBuilder b = new ProcessBuilder(List.of(
                        System.getProperty("fairqueue.launcher"),
                        "work",
                        "--queue",
                        queue,
                        "--capacity",
                        "2",
                        "--wait",
                        "1",
                        "--grace",
                        "1",
                        "--",
                        "sh",
                        script.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        b.environment()
                .putAll(Map.of(
                        "FAIRQUEUE_URL", server.url(), "FAIRQUEUE_TOKEN", fleet.token(), "PIDS", pids.toString()));
        Process work = b.start();
        FairQueueClient owner = server.client(user.token());
        try {
            long json = owner.submit(Submission.of("json")
                            .queue(queue)
                            .payload(Json.createObjectBuilder().add("x", 1).build()))
                    .id();
            long text = owner.submit(Submission.of("text").queue(queue)).id();
            long fail = owner.submit(Submission.of("fail").queue(queue).maxRetries(0))
                    .id();
            for (long id : List.of(json, text, fail)) {
                Fixtures.await(
                        "job " + id + " ends",
                        Duration.ofSeconds(30),
                        () -> owner.get(id).isTerminal());
            }
            Job j = owner.get(json);
            assertEquals("COMPLETED", j.status());
            JsonObject result = j.result().orElseThrow().asJsonObject();
            assertEquals(String.valueOf(json), result.getString("id"), "FQ_JOB_ID");
            assertEquals("json", result.getString("type"), "FQ_JOB_TYPE");
            assertEquals(user.id(), result.getString("user"), "FQ_USER");
            assertEquals(1, result.getJsonObject("payload").getInt("x"), "the payload came on stdin");
            assertEquals(
                    Json.createValue("plain text from " + text),
                    owner.get(text).result().orElseThrow());
            Job failed = owner.get(fail);
            assertEquals("FAILED", failed.status());
            assertTrue(
                    failed.lastError().orElseThrow().contains("exit 3"),
                    failed.lastError().orElseThrow());
            assertTrue(failed.lastError().orElseThrow().contains("boom: no frames"), "the stderr tail");

            long cancelled = owner.submit(Submission.of("sleep").queue(queue)).id();
            long pid = awaitPid(pids, cancelled);
            owner.cancel(cancelled, "stop the script");
            Fixtures.await("the script killed", Duration.ofSeconds(8), () -> !alive(pid));

            long running = owner.submit(Submission.of("sleep").queue(queue)).id();
            long pid2 = awaitPid(pids, running);
            work.destroy(); // SIGTERM, as systemd or Ctrl-C would
            assertTrue(work.waitFor(30, TimeUnit.SECONDS), "fq work exits on SIGTERM");
            assertFalse(alive(pid2), "its script was killed");
            Job handedBack = owner.get(running);
            assertTrue(
                    List.of("RETRY_WAIT", "PENDING").contains(handedBack.status()),
                    "failed as retryable, not left leased: " + handedBack.status());
            assertEquals(1, Fixtures.transitionsTo(running, "RETRY_WAIT"));
            assertTrue(handedBack.lastError().orElseThrow().contains("shut down"));
            assertTrue(server.admin().admin().locks().stream()
                    .noneMatch(l -> l.getString("queue").equals(queue)));
        } finally {
            work.destroyForcibly();
        }
    }

    @Test
    void the_launcher_runs_fq_with_exit_codes_a_script_can_test() throws Exception {
        Fixtures.User user = Fixtures.user("USER", 1);
        assertEquals(3, launch(user.token(), "jobs", "get", "987654321").exit);
        Launched ok = launch(user.token(), "jobs", "submit", "--type", "t", "-o", "json");
        assertEquals(0, ok.exit, ok.output);
        assertTrue(ok.output.contains("\"status\": \"PENDING\""), ok.output);
        assertEquals(2, launch(user.token(), "jobs", "cancel", "1").exit);
        assertEquals(0, launch(user.token(), "--help").exit);
    }

    private record Launched(int exit, String output) {}

    private Launched launch(String token, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("fairqueue.launcher")));
        cmd.addAll(List.of(args));
        File out = File.createTempFile("fq-launch", ".out");
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out);
        b.environment().putAll(Map.of("FAIRQUEUE_URL", server.url(), "FAIRQUEUE_TOKEN", token));
        Process p = b.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Launched(p.exitValue(), Files.readString(out.toPath()));
    }

    private static long awaitPid(Path pids, long job) throws Exception {
        Path file = pids.resolve(job + ".pid");
        Fixtures.await("job " + job + "'s script running", Duration.ofSeconds(20), () -> Files.exists(file));
        Fixtures.await("its pid written", Duration.ofSeconds(5), () -> {
            try {
                return !Files.readString(file).isBlank();
            } catch (java.io.IOException e) {
                return false;
            }
        });
        return Long.parseLong(Files.readString(file).strip());
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
