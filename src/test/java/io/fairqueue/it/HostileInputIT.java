package io.fairqueue.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.BadBodies;
import io.fairqueue.it.support.BadBodies.Kind;
import io.fairqueue.it.support.Fixtures;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.Fixtures.WorkerAccount;
import jakarta.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Input a hostile or careless client sends: bodies generated from the request schemas with one
 * member of the wrong kind, JSON the parser alone would choke on or silently change, instants
 * PostgreSQL cannot store as sent, and the protocol's own edges (WADL, OPTIONS, the container's
 * error pages). Every answer is a 4xx problem naming the field, and the database holds exactly
 * what it held before.
 */
class HostileInputIT extends ApiTestBase {

    /** The generator's seed; another one with {@code -Dfairqueue.it.seed=N}. */
    static final long SEED = Long.getLong("fairqueue.it.seed", 20261202L);

    static Map<String, String> members(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    static Map<String, Kind> kinds(Object... pairs) {
        Map<String, Kind> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], (Kind) pairs[i + 1]);
        }
        return m;
    }

    /** Rows that a request of these tests could have created or changed. */
    static Map<String, Long> counts(String... users) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "")) {
            for (String sql : List.of(
                    "SELECT count(*) FROM fq_user",
                    "SELECT count(*) FROM queue",
                    "SELECT count(*) FROM worker",
                    "SELECT count(*) FROM job WHERE user_id = ANY (?)",
                    "SELECT count(*) FROM job_transition t JOIN job j ON j.id = t.job_id WHERE j.user_id = ANY (?)",
                    "SELECT coalesce(sum(priority), 0) FROM job WHERE user_id = ANY (?)")) {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    if (sql.contains("?")) {
                        ps.setArray(1, c.createArrayOf("text", users));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        out.put(sql, rs.getLong(1));
                    }
                }
            }
        }
        return out;
    }

    static Executable problem(Api api, BadBodies.Case c) {
        return () -> {
            Api.Res r = api.sendBytes(c.method(), c.path(), c.body(), Map.of());
            assertEquals(c.status(), r.status(), c.name() + ": " + r.body());
            assertTrue(r.contentType().startsWith("application/problem+json"), c.name() + ": " + r.contentType());
            JsonObject p = r.json();
            assertEquals(c.status(), p.getInt("status"), c.name());
            assertEquals(c.field(), p.getString("field", null), c.name() + ": " + r.body());
        };
    }

    @Test
    void generated_bad_bodies_answer_400_naming_the_field_and_change_nothing() throws SQLException {
        Account alice = fx.user("USER");
        WorkerAccount w = fx.worker();
        String q = fx.queue();
        String job = "\"" + q + "\"";
        Map<String, String> jobBody = members(
                "queue",
                job,
                "type",
                "\"render\"",
                "payload",
                "{\"a\":[1,2]}",
                "priority",
                "5",
                "scheduledStartAt",
                "\"2030-01-01T00:00:00Z\"",
                "offPeakOnly",
                "false",
                "maxRetries",
                "2",
                "projectId",
                "\"p1\"");
        Map<String, Kind> jobKinds = kinds(
                "queue",
                Kind.STRING,
                "type",
                Kind.STRING,
                "payload",
                Kind.DOCUMENT,
                "priority",
                Kind.PRIORITY,
                "scheduledStartAt",
                Kind.TIMESTAMP,
                "offPeakOnly",
                Kind.BOOL,
                "maxRetries",
                Kind.INT,
                "projectId",
                Kind.STRING);
        List<BadBodies.Operation> userOps = List.of(
                new BadBodies.Operation("POST", "jobs", null, jobBody, jobKinds),
                new BadBodies.Operation("POST", "jobs/batch", "jobs", jobBody, jobKinds));
        List<BadBodies.Operation> adminOps = List.of(
                new BadBodies.Operation(
                        "POST",
                        "admin/users",
                        null,
                        members(
                                "id",
                                "\"" + Fixtures.unique("u") + "\"",
                                "displayName",
                                "\"X\"",
                                "role",
                                "\"USER\"",
                                "maxConcurrent",
                                "2",
                                "monthlyHoursLimit",
                                "10"),
                        kinds(
                                "id",
                                Kind.STRING,
                                "displayName",
                                Kind.STRING,
                                "role",
                                Kind.STRING,
                                "maxConcurrent",
                                Kind.INT,
                                "monthlyHoursLimit",
                                Kind.INT)),
                new BadBodies.Operation(
                        "POST",
                        "queues",
                        null,
                        members(
                                "name",
                                "\"" + Fixtures.unique("q") + "\"",
                                "description",
                                "\"d\"",
                                "maxConcurrent",
                                "2",
                                "maxRetries",
                                "1",
                                "retryBaseDelaySeconds",
                                "5",
                                "leaseSeconds",
                                "30"),
                        kinds(
                                "name",
                                Kind.STRING,
                                "description",
                                Kind.STRING,
                                "maxConcurrent",
                                Kind.INT,
                                "maxRetries",
                                Kind.INT,
                                "retryBaseDelaySeconds",
                                Kind.INT,
                                "leaseSeconds",
                                Kind.INT)));
        List<BadBodies.Operation> workerOps = List.of(
                new BadBodies.Operation(
                        "POST",
                        "workers",
                        null,
                        members("name", "\"w\"", "capacity", "2", "queues", "[" + job + "]"),
                        kinds("name", Kind.STRING, "capacity", Kind.INT, "queues", Kind.STRINGS)),
                new BadBodies.Operation(
                        "POST",
                        "claims",
                        null,
                        members(
                                "workerId",
                                "\"" + w.workerId() + "\"",
                                "queues",
                                "[" + job + "]",
                                "limit",
                                "1",
                                "waitSeconds",
                                "0"),
                        kinds(
                                "workerId",
                                Kind.STRING,
                                "queues",
                                Kind.STRINGS,
                                "limit",
                                Kind.INT,
                                "waitSeconds",
                                Kind.INT)));
        alice.api().post("jobs", "{\"queue\":" + job + ",\"type\":\"t\"}").expect(201); // something a claim could take
        Map<String, Long> before = counts(alice.id());
        List<Executable> checks = new ArrayList<>();
        BadBodies.generate(SEED, 150, userOps).forEach(c -> checks.add(problem(alice.api(), c)));
        BadBodies.generate(SEED + 1, 100, adminOps).forEach(c -> checks.add(problem(admin, c)));
        BadBodies.generate(SEED + 2, 100, workerOps).forEach(c -> checks.add(problem(w.api(), c)));
        System.out.println("HostileInputIT: " + checks.size() + " generated bad bodies, seed " + SEED);
        assertAll(checks);
        assertEquals(before, counts(alice.id()), "no row was created or changed");
    }

    @Test
    void instants_outside_the_gregorian_range_are_refused_on_the_keyed_and_the_plain_path() throws SQLException {
        Account alice = fx.user("USER");
        String q = fx.queue();
        List<Executable> checks = new ArrayList<>();
        int n = 0;
        for (String at : List.of(
                "+10000-01-01T00:00:00Z",
                "9999-12-31T23:30:00-01:00",
                "1582-10-14T23:59:59.999999Z",
                "1000-06-01T12:00:00Z",
                "0001-01-01T00:30:00+01:00",
                "-0001-01-01T00:00:00Z")) {
            for (boolean keyed : new boolean[] {false, true}) {
                String key = "k" + n++;
                checks.add(() -> {
                    Api.Res r = alice.api()
                            .post(
                                    "jobs",
                                    "{\"queue\":\"" + q + "\",\"type\":\"t\",\"scheduledStartAt\":\"" + at + "\"}",
                                    keyed ? Map.of("Idempotency-Key", key) : Map.of());
                    assertEquals(400, r.status(), at + (keyed ? " keyed" : "") + ": " + r.body());
                    assertEquals("scheduledStartAt", r.json().getString("field"), at);
                });
            }
        }
        assertAll(checks);
        assertEquals(
                0L, counts(alice.id()).get("SELECT count(*) FROM job WHERE user_id = ANY (?)"), "nothing was created");
    }

    @Test
    void the_first_and_last_storable_instants_read_back_as_sent_on_both_paths() {
        Account alice = fx.user("USER");
        String q = fx.queue();
        for (String at :
                List.of("1582-10-15T00:00:00Z", "1900-03-01T12:34:56.123456Z", "9999-12-31T23:59:59.999999Z")) {
            for (boolean keyed : new boolean[] {false, true}) {
                Api.Res r = alice.api()
                        .post(
                                "jobs",
                                "{\"queue\":\"" + q + "\",\"type\":\"t\",\"scheduledStartAt\":\"" + at + "\"}",
                                keyed ? Map.of("Idempotency-Key", Fixtures.unique("k")) : Map.of())
                        .expect(201);
                String id = r.json().getJsonNumber("id").toString();
                assertEquals(
                        java.time.OffsetDateTime.parse(at),
                        java.time.OffsetDateTime.parse(
                                alice.api().get("jobs/" + id).json().getString("scheduledStartAt")),
                        at + (keyed ? " keyed" : ""));
            }
        }
    }

    @Test
    void a_number_of_a_thousand_digits_is_stored_as_sent() {
        Account alice = fx.user("USER");
        String thousand = "9".repeat(999) + "1";
        String id = alice.api()
                .post("jobs", "{\"queue\":\"" + fx.queue() + "\",\"type\":\"t\",\"payload\":[" + thousand + ",1.5e3]}")
                .expect(201)
                .json()
                .getJsonNumber("id")
                .toString();
        var payload = alice.api().get("jobs/" + id).json().getJsonArray("payload");
        assertEquals(thousand, payload.getJsonNumber(0).bigDecimalValue().toPlainString());
        assertEquals(1500, payload.getJsonNumber(1).intValueExact());
    }

    @Test
    void the_api_map_is_not_shown_to_callers_and_the_container_answers_in_problems() {
        Account alice = fx.user("USER");
        Api.Res wadl = alice.api().get("application.wadl");
        assertEquals(404, wadl.status(), wadl.body());
        assertFalse(wadl.body().contains("admin/users"), "no route list");
        Api.Res options = alice.api().send("OPTIONS", "admin/users", null, Map.of());
        assertEquals(405, options.status());
        assertTrue(options.contentType().startsWith("application/problem+json"));
        assertEquals(
                options.header("Allow"),
                alice.api().send("OPTIONS", "jobs", null, Map.of()).header("Allow"),
                "the same Allow for every path");
        assertNull(alice.api().get("jobs?limit=1").header("Server"), "no Server header on the API");
        assertNull(alice.api().get("/health").header("Server"), "no Server header on health");
        for (String path : List.of("/no-such-page", "/api/v2/jobs", "/problem")) {
            Api.Res r = alice.api().get(path);
            assertEquals(404, r.status(), path);
            assertTrue(r.contentType().startsWith("application/problem+json"), path + ": " + r.contentType());
            assertEquals(404, r.json().getInt("status"), path);
        }
    }
}
