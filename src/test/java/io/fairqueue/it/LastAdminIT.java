package io.fairqueue.it;

import static io.fairqueue.it.SecurityIT.assertProblem;
import static io.fairqueue.it.TokensIT.db;
import static io.fairqueue.it.TokensIT.hash;
import static io.fairqueue.it.TokensIT.id;
import static io.fairqueue.it.TokensIT.storedIds;
import static io.fairqueue.it.TokensIT.tokens;
import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.SecondNode;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Someone can always administer FairQueue: the last ADMIN keeps its role and a valid token, also
 * when two admins race, and a start where no ADMIN holds a valid token makes one, whatever the
 * database holds.
 */
class LastAdminIT extends ApiTestBase {

    static final String LAST_ADMIN = "https://fairqueue.io/problems/last-admin";
    static final String TO_USER = aUser().withRole("USER").toString();

    /** The suite's bootstrap admin and the id of the token the tests call with. */
    record Admin(String id, long tokenId) {}

    static Admin bootstrapAdmin() throws Exception {
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("SELECT user_id, id FROM api_token WHERE token_hash = ?")) {
            ps.setString(1, hash(Api.ADMIN_TOKEN));
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                return new Admin(rs.getString(1), rs.getLong(2));
            }
        }
    }

    /** Makes the bootstrap admin the only ADMIN (earlier tests' admins are demoted), with one token. */
    Admin soleAdmin() throws Exception {
        Admin me = bootstrapAdmin();
        for (String other : query("SELECT id FROM fq_user WHERE role = 'ADMIN' AND id <> ?", me.id())) {
            admin.patch("admin/users/" + other, TO_USER).expect(200);
        }
        for (long spare : storedIds(me.id())) {
            if (spare != me.tokenId()) {
                assertEquals(204, admin.delete(tokens(me.id()) + "/" + spare).status());
            }
        }
        return me;
    }

    static List<String> query(String sql, String arg) throws Exception {
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            }
        }
    }

    static String role(String userId) throws Exception {
        return query("SELECT role FROM fq_user WHERE id = ?", userId).get(0);
    }

    /** Whatever a test left, the suite's admin is an ADMIN again. */
    @AfterEach
    void restoreTheSuitesAdmin() throws Exception {
        try (Connection c = db();
                PreparedStatement ps =
                        c.prepareStatement("UPDATE fq_user SET role = 'ADMIN' WHERE id = ? AND role <> 'ADMIN'")) {
            ps.setString(1, bootstrapAdmin().id());
            ps.executeUpdate();
        }
    }

    static void assertLastAdmin(Api.Res r) {
        assertProblem(r, 409);
        assertEquals(LAST_ADMIN, r.json().getString("type"));
    }

    @Test
    void the_last_admin_can_neither_be_demoted_nor_lose_its_last_valid_token() throws Exception {
        Admin me = soleAdmin();
        String name = admin.get("admin/users/" + me.id()).expect(200).json().getString("displayName");

        assertLastAdmin(
                admin.patch("admin/users/" + me.id(), aUser().withRole("WORKER").withDisplayName("Renamed")));
        JsonObject after = admin.get("admin/users/" + me.id()).expect(200).json();
        assertEquals("ADMIN", after.getString("role"));
        assertEquals(name, after.getString("displayName"), "nothing of the request was applied");
        assertEquals(
                200,
                admin.patch("admin/users/" + me.id(), aUser().withRole("ADMIN")).status(),
                "not a demotion");

        long spare = id(admin.post(tokens(me.id()), aToken().withName("spare"))
                .expect(201)
                .json());
        assertEquals(204, admin.delete(tokens(me.id()) + "/" + spare).status(), "another token remains");
        assertLastAdmin(admin.delete(tokens(me.id()) + "/" + me.tokenId()));
        assertEquals(List.of(me.tokenId()), storedIds(me.id()));
        assertEquals(200, admin.get("admin/users").status(), "and it still works");
    }

    @Test
    void an_admin_whose_tokens_all_expired_does_not_count() throws Exception {
        Admin me = soleAdmin();
        Account other = fx.user("ADMIN");
        long first = storedIds(other.id()).get(0);
        JsonObject expiring = admin.post(tokens(other.id()), aToken().withExpiresInSeconds(60))
                .expect(201)
                .json();
        assertEquals(204, admin.delete(tokens(other.id()) + "/" + first).status());

        advance(61);
        assertLastAdmin(admin.patch("admin/users/" + me.id(), TO_USER));
        assertLastAdmin(admin.delete(tokens(me.id()) + "/" + me.tokenId()));
        assertEquals(204, admin.delete(tokens(other.id()) + "/" + id(expiring)).status(), "an expired token may go");
        assertEquals("ADMIN", role(me.id()));

        JsonObject valid = admin.post(tokens(other.id())).expect(201).json();
        assertEquals(200, admin.patch("admin/users/" + me.id(), TO_USER).status(), "now another ADMIN can take over");
        Api successor = admin.as(valid.getString("token"));
        assertProblem(admin.get("admin/users"), 403);
        assertEquals(
                200,
                successor
                        .patch("admin/users/" + me.id(), aUser().withRole("ADMIN"))
                        .status());
    }

    @Test
    void of_two_admins_demoting_each_other_at_once_exactly_one_succeeds() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 8; round++) {
                Admin me = soleAdmin();
                Account other = fx.user("ADMIN");
                CyclicBarrier start = new CyclicBarrier(2);
                Future<Api.Res> mine = pool.submit(() -> {
                    start.await();
                    return admin.patch("admin/users/" + other.id(), TO_USER);
                });
                Future<Api.Res> theirs = pool.submit(() -> {
                    start.await();
                    return other.api().patch("admin/users/" + me.id(), TO_USER);
                });
                List<Api.Res> answers = List.of(mine.get(), theirs.get());
                assertEquals(
                        1,
                        answers.stream().filter(r -> r.status() == 200).count(),
                        "round " + round + ": "
                                + answers.stream().map(Api.Res::body).toList());
                Api.Res refused = answers.stream()
                        .filter(r -> r.status() != 200)
                        .findFirst()
                        .orElseThrow();
                if (refused.status() == 409) {
                    assertLastAdmin(refused);
                } else {
                    assertProblem(refused, 403); // demoted before its own request was even authenticated
                }
                long admins = query("SELECT id FROM fq_user WHERE role = 'ADMIN' AND id = ? ", me.id())
                                .size()
                        + query("SELECT id FROM fq_user WHERE role = 'ADMIN' AND id = ? ", other.id())
                                .size();
                assertEquals(1, admins, "round " + round);
                if (!role(me.id()).equals("ADMIN")) {
                    other.api()
                            .patch("admin/users/" + me.id(), aUser().withRole("ADMIN"))
                            .expect(200);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void a_start_moves_the_configured_token_from_a_non_admin_of_an_old_database_to_a_new_admin() throws Exception {
        String url = System.getProperty("fairqueue.it.dbUrl") + "_bootstrap";
        String database = url.substring(url.lastIndexOf('/') + 1);
        String server = url.replaceFirst("/[^/]*$", "/postgres");
        exec(server, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)", "CREATE DATABASE " + database);
        try {
            // a database of before token ids (schema 10) whose only admin demoted itself, as that version allowed
            Flyway.configure()
                    .dataSource(url, "postgres", "")
                    .locations("classpath:db/migration")
                    .target("10")
                    .load()
                    .migrate();
            String configured = "fq_it_bootstrap_" + UUID.randomUUID();
            String alicesToken = "fq_it_alice_" + UUID.randomUUID();
            exec(
                    url,
                    """
                    INSERT INTO fq_user (id, display_name, role, max_concurrent, created_at)
                    VALUES ('admin', 'Former admin', 'USER', 1, now()), ('alice', 'Alice', 'USER', 1, now())""",
                    "INSERT INTO api_token (token_hash, user_id, created_at) VALUES ('" + hash(configured)
                            + "', 'admin', now()), ('" + hash(alicesToken) + "', 'alice', now())");

            try (SecondNode node = SecondNode.start(
                    "tokens-bootstrap",
                    Map.of("FAIRQUEUE_DB_URL", url, "FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN", configured))) {
                Api root = node.admin().as(configured);
                Map<String, String> roles = root.get("admin/users").expect(200).array().stream()
                        .map(JsonValue::asJsonObject)
                        .collect(Collectors.toMap(u -> u.getString("id"), u -> u.getString("role")));
                assertEquals(Map.of("admin", "USER", "admin2", "ADMIN", "alice", "USER"), roles);
                assertEquals(
                        0, root.get(tokens("admin")).expect(200).array().size(), "the former admin no longer holds it");
                JsonArray newAdmins = root.get(tokens("admin2")).expect(200).array();
                assertEquals(1, newAdmins.size());
                assertEquals("bootstrap", newAdmins.getJsonObject(0).getString("name"));

                Api alice = root.as(alicesToken);
                JsonArray alices = alice.get(tokens("alice")).expect(200).array();
                assertEquals(1, alices.size(), "a token of before the migration has an id now");
                assertEquals(
                        204,
                        alice.delete(tokens("alice") + "/" + id(alices.getJsonObject(0)))
                                .status());
                assertProblem(alice.get("jobs"), 401);

                String log = Files.readString(Path.of("target/tokens-bootstrap.log"));
                assertTrue(log.contains("was stored for user 'admin'"), "a warning names the user it was taken from");
                for (String secret : List.of(configured, hash(configured), alicesToken, hash(alicesToken))) {
                    assertFalse(log.contains(secret), "the log shows no token and no token's hash");
                }
            }
        } finally {
            exec(server, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    static void exec(String url, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement()) {
            for (String q : sql) {
                s.executeUpdate(q);
            }
        }
    }
}
