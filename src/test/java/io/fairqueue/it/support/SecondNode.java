package io.fairqueue.it.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Another FairQueue node: a second Payara Micro process with the same WAR on the same database
 * (its environment is the test JVM's: FAIRQUEUE_DB_URL, FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN, plus any
 * given to {@link #start(String, Map)}).
 */
public final class SecondNode implements AutoCloseable {

    private final Process process;
    private final int port;

    private SecondNode(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static SecondNode start(String name) throws IOException, InterruptedException {
        return start(name, Map.of(), Duration.ofMinutes(3));
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
                        System.getProperty("java.home") + "/bin/java", "-Xmx512m", "-Duser.timezone=UTC",
                        "-jar", System.getProperty("payara.microJar"),
                        "--nocluster", "--disablephonehome", "--port", String.valueOf(port),
                        "--prebootcommandfile", config + "/pre-boot-commands.asadmin",
                        "--postbootcommandfile", config + "/post-boot-commands.asadmin",
                        "--deploy", System.getProperty("fairqueue.war")))
                .redirectErrorStream(true)
                .redirectOutput(log);
        builder.environment().putAll(env);
        Process p = builder.start();
        SecondNode node = new SecondNode(p, port);
        node.awaitReady(startup, log);
        return node;
    }

    private void awaitReady(Duration timeout, File log) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the second node exited; see " + log);
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
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
        throw new IllegalStateException("the second node was not ready within " + timeout + " (last: " + last
                + "); see " + log);
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

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
