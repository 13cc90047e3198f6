package io.fairqueue.it.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Another FairQueue node: a second Payara Micro process with the same WAR on the same database
 * (its environment is the test JVM's: FAIRQUEUE_DB_URL, FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN, plus any
 * given to {@link #start(String, Map)}).
 *
 * <p>Fault tests can kill it ({@code kill -9}) or freeze and thaw it ({@code SIGSTOP} /
 * {@code SIGCONT}). {@link #close()} always thaws before it stops the process, and a shutdown hook
 * does the same if the test JVM ends first, so no frozen or orphaned Payara outlives the test.
 */
public final class SecondNode implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Thread reaper;

    private SecondNode(Process process, int port) {
        this.process = process;
        this.port = port;
        this.reaper = new Thread(this::forceStop, "stop-" + process.pid());
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    public static SecondNode start(String name) throws IOException, InterruptedException {
        return start(name, Map.of(), Duration.ofMinutes(3));
    }

    /** A node whose environment differs from the test JVM's in {@code env} (another database, say). */
    public static SecondNode start(String name, Map<String, String> env) throws IOException, InterruptedException {
        return start(name, env, Duration.ofMinutes(3));
    }

    /**
     * A node whose environment also has {@code env} (say, {@code FAIRQUEUE_DB_POOL_SIZE}), ready
     * within {@code startup}.
     */
    public static SecondNode start(String name, Map<String, String> env, Duration startup)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String config = System.getProperty("fairqueue.serverConfig");
        File log = new File("target/" + name + ".log");
        ProcessBuilder builder = new ProcessBuilder(List.of(
                        System.getProperty("java.home") + "/bin/java",
                        "-Xmx512m",
                        "-Duser.timezone=UTC",
                        "-jar",
                        System.getProperty("payara.microJar"),
                        "--nocluster",
                        "--disablephonehome",
                        "--port",
                        String.valueOf(port),
                        "--prebootcommandfile",
                        config + "/pre-boot-commands.asadmin",
                        "--postbootcommandfile",
                        config + "/post-boot-commands.asadmin",
                        "--deploy",
                        System.getProperty("fairqueue.war")))
                .redirectErrorStream(true)
                .redirectOutput(log);
        builder.environment().putAll(env);
        Process p = builder.start();
        SecondNode node = new SecondNode(p, port);
        node.awaitReady(startup, log);
        return node;
    }

    private void awaitReady(Duration timeout, File log) throws InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                close();
                throw new IllegalStateException("the second node exited; see " + log);
            }
            try {
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode();
            } catch (IOException e) {
                last = e.toString(); // not listening yet
            }
            Thread.sleep(500);
        }
        close();
        throw new IllegalStateException(
                "the second node was not ready within " + timeout + " (last: " + last + "); see " + log);
    }

    public int port() {
        return port;
    }

    /** The node's operating-system process id (for its sockets, see {@link Sockets}). */
    public long pid() {
        return process.pid();
    }

    /** An admin client of this node. */
    public Api admin() throws IOException {
        return Api.admin(new URL("http://127.0.0.1:" + port + "/"));
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** {@code kill -9}: the process ends at once, mid-request, without undeploying anything; waits until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + pid() + " survived kill -9");
        }
    }

    /** {@code kill -STOP}: every thread of the node stops where it is (open transactions and sockets stay open). */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** {@code kill -CONT}: the frozen node carries on where it stopped. */
    public void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(pid()))
                .redirectErrorStream(true)
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            kill.destroyForcibly();
            throw new IllegalStateException("kill -" + name + " " + pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes()));
        }
    }

    /** Thaws (a stopped process cannot act on SIGTERM), then stops the node; forcibly after 20 s. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                thaw();
            }
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    /** The shutdown hook: SIGKILL works on a stopped process too. */
    private void forceStop() {
        process.destroyForcibly();
    }
}
