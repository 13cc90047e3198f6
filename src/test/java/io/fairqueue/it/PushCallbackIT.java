package io.fairqueue.it;

import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Push callbacks cannot be aimed anywhere (issue 13): only hosts and networks of
 * {@code fairqueue.push.allowed-hosts} (loopback in the tests, see pom.xml), checked at
 * registration and again before every push; no redirects; answers read only as far as their status.
 */
class PushCallbackIT extends ApiTestBase {

    HttpServer receiver;
    String base;
    final List<JsonObject> received = new CopyOnWriteArrayList<>();
    final List<String> hosts = new CopyOnWriteArrayList<>();
    final AtomicInteger stolen = new AtomicInteger();

    @BeforeEach
    void startReceiver() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/ok", ex -> {
            hosts.add(ex.getRequestHeaders().getFirst("Host"));
            received.add(Json.createReader(
                            new StringReader(new String(ex.getRequestBody().readAllBytes())))
                    .readObject());
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        receiver.createContext("/redirect", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Location", base + "/stolen");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        receiver.createContext("/stolen", ex -> {
            stolen.incrementAndGet();
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        receiver.createContext("/flood", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, 0); // chunked, no end
            byte[] chunk = new byte[16 * 1024];
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            try (OutputStream out = ex.getResponseBody()) {
                while (System.nanoTime() < until) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                // the dispatcher hung up, as it should
            }
        });
        receiver.setExecutor(Executors.newFixedThreadPool(4));
        receiver.start();
        base = "http://127.0.0.1:" + receiver.getAddress().getPort();
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    @Test
    void registration_refuses_a_callback_outside_the_allowlist_and_stores_nothing() throws Exception {
        Account fleet = fx.user("WORKER");
        for (String url : new String[] {
            "http://169.254.169.254/latest/meta-data/", // cloud metadata
            "http://2852039166/", // the same, as one decimal number
            "http://[::ffff:169.254.169.254]/", // the same, IPv4-mapped IPv6
            "http://127.0.0.1@169.254.169.254/", // userinfo trick: the host is the second one
            "http://127.0.0.1:" + receiver.getAddress().getPort() + "@10.0.0.1/",
            "http://10.0.0.1:8080/jobs", // a private network, not listed in the tests
            "http://0.0.0.0:8080/", // reaches the local host, never allowed
            "http://[::]:8080/",
            "http://unresolvable.invalid/",
            "ftp://127.0.0.1/jobs",
            "file:///etc/passwd"
        }) {
            Api.Res r = fleet.api().post("workers", aWorker("w").withCallbackUrl(url));
            assertEquals(400, r.status(), url + " " + r.body());
            assertEquals("application/problem+json", r.contentType(), url);
            assertEquals("callbackUrl", r.json().getString("field"), url + " " + r.body());
            assertTrue(r.json().getString("detail").startsWith("callbackUrl: "), r.body());
        }
        assertEquals(0, fleet.api().get("workers").expect(200).array().size(), "nothing registered over the API");
        assertEquals(0, workersOf(fleet.id()), "nothing stored");
        // the same account registers an allowed callback: the refusals were about the URL only
        fleet.api().post("workers", aWorker("w").withCallbackUrl(base + "/ok")).expect(201);
        assertEquals(1, workersOf(fleet.id()));
    }

    @Test
    void an_allowed_loopback_callback_receives_the_job_with_its_lease_and_the_urls_host() throws Exception {
        Account alice = fx.user("USER");
        String q = fx.queue();
        Account fleet = fx.user("WORKER");
        int port = receiver.getAddress().getPort();
        // a name, allowed because every address it resolves to is loopback
        fleet.api()
                .post(
                        "workers",
                        aWorker("push")
                                .withCapacity(2)
                                .withCallbackUrl("http://localhost:" + port + "/ok")
                                .withQueues(q))
                .expect(201);
        String job = id(alice.api()
                .post("jobs", aJob().withQueue(q).withType("t").withPayload(object("n", 1)))
                .expect(201));
        await("the push", Duration.ofSeconds(6), () -> !received.isEmpty());
        assertEquals(job, received.get(0).getJsonNumber("id").toString());
        assertTrue(received.get(0).getString("leaseToken").length() > 10);
        assertEquals("localhost:" + port, hosts.get(0), "the Host header is the URL's");
        assertEquals("DISPATCHED", status(alice, job));
        admin.post("queues/" + q + "/pause").expect(200);
    }

    @Test
    void a_redirect_is_not_followed_and_the_job_goes_back_to_pending_with_the_reason_audited() throws Exception {
        Account alice = fx.user("USER");
        String q = fx.queue();
        Account fleet = fx.user("WORKER");
        fleet.api()
                .post(
                        "workers",
                        aWorker("redirecting")
                                .withCallbackUrl(base + "/redirect")
                                .withQueues(q))
                .expect(201);
        String job =
                id(alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201));
        await("the release after HTTP 302", Duration.ofSeconds(6), () -> released(alice, job, "HTTP 302"));
        admin.post("queues/" + q + "/pause").expect(200);
        Thread.sleep(1200); // a push in flight when the queue paused ends too
        assertEquals("PENDING", status(alice, job));
        assertEquals(0, alice.api().get("jobs/" + job).json().getInt("attempts"), "a failed push is no attempt");
        assertEquals(0, stolen.get(), "the Location was never visited");
    }

    @Test
    void a_callback_answering_an_endless_body_does_not_hold_up_the_dispatcher() throws Exception {
        Account alice = fx.user("USER", 5);
        String floodQ = fx.queue();
        String okQ = fx.queue();
        Account fleet = fx.user("WORKER");
        fleet.api()
                .post(
                        "workers",
                        aWorker("flood")
                                .withCapacity(5)
                                .withCallbackUrl(base + "/flood")
                                .withQueues(floodQ))
                .expect(201);
        fleet.api()
                .post(
                        "workers",
                        aWorker("ok")
                                .withCapacity(5)
                                .withCallbackUrl(base + "/ok")
                                .withQueues(okQ))
                .expect(201);
        List<String> flooded = List.of(
                id(alice.api()
                        .post("jobs", aJob().withQueue(floodQ).withType("t"))
                        .expect(201)),
                id(alice.api()
                        .post("jobs", aJob().withQueue(floodQ).withType("t"))
                        .expect(201)));
        await(
                "both flood jobs pushed",
                Duration.ofSeconds(6),
                () -> flooded.stream().allMatch(j -> status(alice, j).equals("DISPATCHED")));
        long start = System.nanoTime();
        String ok =
                id(alice.api().post("jobs", aJob().withQueue(okQ).withType("t")).expect(201));
        await(
                "the next worker's push",
                Duration.ofSeconds(4),
                () -> received.stream()
                        .anyMatch(j -> j.getJsonNumber("id").toString().equals(ok)));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos());
        for (String j : flooded) {
            assertTrue(
                    transitions(alice, j).stream().noneMatch(t -> t.contains("failed")),
                    "a 200 is a push, body or not");
        }
        admin.post("queues/" + floodQ + "/pause").expect(200);
        admin.post("queues/" + okQ + "/pause").expect(200);
    }

    @Test
    void a_stored_callback_that_is_no_longer_allowed_gets_nothing_claimed_for_it() throws Exception {
        // as if the setting had narrowed (or the name now resolved elsewhere) after the registration
        Account alice = fx.user("USER");
        String q = fx.queue();
        Account fleet = fx.user("WORKER");
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO worker (id, name, owner_id, capacity, callback_url, queues, registered_at, last_heartbeat_at)"
                                + " VALUES (?, 'stale', ?, 5, 'http://169.254.169.254/latest/', ?, now(), now())")) {
            ps.setString(1, "stale-" + fleet.id());
            ps.setString(2, fleet.id());
            ps.setString(3, q);
            ps.executeUpdate();
        }
        String job =
                id(alice.api().post("jobs", aJob().withQueue(q).withType("t")).expect(201));
        Thread.sleep(3000); // three dispatcher rounds
        assertEquals("PENDING", status(alice, job));
        assertEquals(1, transitions(alice, job).size(), "only its creation: never dispatched, never released");
        admin.post("queues/" + q + "/pause").expect(200);
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("DELETE FROM worker WHERE id = ?")) {
            ps.setString(1, "stale-" + fleet.id());
            ps.executeUpdate(); // later test classes on this database need not hear of it
        }
    }

    boolean released(Account user, String job, String reason) {
        return user.api().get("jobs/" + job + "/transitions").array().stream()
                .map(v -> v.asJsonObject())
                .anyMatch(t -> "DISPATCHED".equals(t.getString("from", null))
                        && "PENDING".equals(t.getString("to"))
                        && t.getString("reason", "").contains(reason));
    }

    List<String> transitions(Account user, String job) {
        return user.api().get("jobs/" + job + "/transitions").expect(200).array().stream()
                .map(v -> v.asJsonObject().toString())
                .toList();
    }

    String status(Account user, String id) {
        return user.api().get("jobs/" + id).expect(200).json().getString("status");
    }

    static String id(Api.Res r) {
        return r.json().getJsonNumber("id").toString();
    }

    static int workersOf(String owner) throws SQLException {
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM worker WHERE owner_id = ?")) {
            ps.setString(1, owner);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static Connection db() throws SQLException {
        return DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
    }

    static void await(String what, Duration timeout, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(100);
        }
    }
}
