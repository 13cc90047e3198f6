package io.fairqueue.bench;

import static io.fairqueue.bench.Report.fmt2;
import static io.fairqueue.bench.Report.met;

import io.fairqueue.bench.Benchmark.Clients;
import io.fairqueue.bench.Benchmark.Mode;
import jakarta.json.JsonArray;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Submit-to-claim latency (SPEC §7 workload 3; part {@code latency}). A worker waits in a
 * long-poll claim; the time from sending the submit to receiving the claim (taken in the claiming
 * thread, as the answer arrives). The submit's own answer time is reported beside it. The measured
 * rounds follow the mode's warm-up rounds: the end-to-end runs warm only the batch endpoints, and
 * the single-job path (one submit, one woken claim) takes some hundred rounds to be compiled; the
 * warm-up rounds' own median is reported too.
 */
final class SubmitToClaim {

    private final Mode mode;
    private final Http admin;
    private final Http worker;
    private final String workerId;
    private final Report report;

    SubmitToClaim(Mode mode, Clients clients, Report report) {
        this.mode = mode;
        this.admin = clients.admin();
        this.worker = clients.worker();
        this.workerId = clients.workerIds().get(0);
        this.report = report;
    }

    void run() throws Exception {
        admin.post("queues", "{\"name\":\"latency\"}", 201);
        Stats s = new Stats();
        Stats submits = new Stats();
        Stats warming = new Stats();
        int rounds = mode.latencyWarmups(); // warm-up rounds (not the end-to-end warm-up runs)
        ExecutorService pool = Executors.newSingleThreadExecutor();
        String claim = "{\"workerId\":\"" + workerId + "\",\"queues\":[\"latency\"],\"waitSeconds\":30}";
        for (int i = 0; i < mode.latencySamples() + rounds; i++) {
            Future<Map.Entry<String, Long>> waiting = pool.submit(() -> {
                String body = worker.post("claims", claim, 200);
                return Map.entry(body, System.nanoTime());
            });
            Thread.sleep(30); // the claim is waiting now
            long t0 = System.nanoTime();
            admin.post("jobs", "{\"queue\":\"latency\",\"type\":\"ping\",\"userId\":\"u3\"}", 201);
            long answered = System.nanoTime();
            Map.Entry<String, Long> got = waiting.get(60, TimeUnit.SECONDS);
            JsonArray claimed = Http.array(got.getKey());
            if (claimed.size() != 1) {
                throw new IllegalStateException("the waiting claim answered " + claimed);
            }
            if (i >= rounds) {
                s.add(got.getValue() - t0);
                submits.add(answered - t0);
            } else {
                warming.add(got.getValue() - t0);
            }
            String leases = Http.leases(claimed);
            worker.post("jobs/start", leases, 200);
            worker.post("jobs/complete", leases, 200);
        }
        pool.shutdown();
        report.put(
                "submitToClaim",
                Map.of(
                        "samples",
                        s.count(),
                        "p50Ms",
                        s.p50(),
                        "p99Ms",
                        s.p99(),
                        "submitAnswerP50Ms",
                        submits.p50(),
                        "warmupRounds",
                        rounds,
                        "warmupP50Ms",
                        warming.p50()));
        report.row(
                "submit-to-claim, worker waiting (ms)",
                fmt2(s.p50()),
                fmt2(s.p99()),
                "p50 < 10, p99 < 50",
                met(s.p50() < 10 && s.p99() < 50));
        report.row("  the submit's own answer (ms)", fmt2(submits.p50()), fmt2(submits.p99()), "", "");
        report.row(
                "  submit-to-claim in the " + rounds + " warm-up rounds before (ms)",
                fmt2(warming.p50()),
                fmt2(warming.p99()),
                "",
                "");
    }
}
