package io.fairqueue.bench;

import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** FairQueue on Payara Micro, started with the README's own script (server-config/start.sh). */
final class FairQueueServer implements AutoCloseable {

    private final Process process;
    final String base;

    private FairQueueServer(Process process, String base) {
        this.process = process;
        this.base = base;
    }

    static FairQueueServer start(Path root, String dbUrl, int port, int jmxPort, String adminToken, Path log)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                        "bash", root.resolve("server-config/start.sh").toString())
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().put("FAIRQUEUE_SKIP_BUILD", "1");
        pb.environment().put("FAIRQUEUE_DB_URL", dbUrl);
        pb.environment().put("FAIRQUEUE_HTTP_PORT", Integer.toString(port));
        pb.environment().put("FAIRQUEUE_JMX_PORT", Integer.toString(jmxPort));
        pb.environment().put("FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN", adminToken);
        String jfr = System.getenv("BENCH_PAYARA_JFR");
        if (jfr != null && !jfr.isBlank()) {
            // profile the server: BENCH_PAYARA_JFR=/tmp/fq.jfr mvn -Pbench ...; then jfr print / jfr summary
            pb.environment()
                    .put(
                            "JAVA_TOOL_OPTIONS",
                            "-XX:StartFlightRecording=dumponexit=true,filename=" + jfr + ",settings=profile");
        }
        String opts = System.getenv("BENCH_PAYARA_OPTS");
        if (opts != null && !opts.isBlank()) {
            // any JVM options for the server, e.g. a profiler agent:
            // BENCH_PAYARA_OPTS=-agentpath:/path/libasyncProfiler.so=start,event=itimer,file=/tmp/p.txt,collapsed
            pb.environment().put("JAVA_TOOL_OPTIONS", opts);
        }
        Process p = pb.start();
        String base = "http://127.0.0.1:" + port;
        Http probe = new Http(base, adminToken);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (probe.status("/health/ready") != 200) {
            if (!p.isAlive()) {
                throw new IllegalStateException("Payara Micro exited with " + p.exitValue() + "; see " + log);
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("FairQueue was not ready within 4 minutes; see " + log);
            }
            Thread.sleep(500);
        }
        return new FairQueueServer(p, base + "/api/v1/");
    }

    /** The launcher script's process; the server's JVM is its descendant. */
    ProcessHandle handle() {
        return process.toHandle();
    }

    @Override
    public void close() throws InterruptedException {
        process.toHandle().descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    static Path root() {
        return new File(System.getProperty("user.dir")).toPath();
    }
}
