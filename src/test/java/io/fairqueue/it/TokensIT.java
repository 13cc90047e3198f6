package io.fairqueue.it;

import static io.fairqueue.it.SecurityIT.assertProblem;
import static io.fairqueue.it.support.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.fairqueue.it.support.Fixtures.Account;
import io.fairqueue.it.support.SecondNode;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tokens have ids, names, expiry and a last use; they are listed without their secret and revoked
 * by id, by an ADMIN or their owner, and a revoked or expired token is refused on every node.
 */
class TokensIT extends ApiTestBase {

    static String hash(String token) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    }

    static Connection db() throws Exception {
        return DriverManager.getConnection(System.getProperty("fairqueue.it.dbUrl"), "postgres", "");
    }

    static String tokens(String userId) {
        return "admin/users/" + userId + "/tokens";
    }

    static long id(JsonObject o) {
        return o.getJsonNumber("id").longValue();
    }

    static List<Long> ids(JsonArray list) {
        return list.stream().map(v -> id(v.asJsonObject())).toList();
    }

    /** The ids of the tokens stored for the user, oldest first. */
    static List<Long> storedIds(String userId) throws Exception {
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("SELECT id FROM api_token WHERE user_id = ? ORDER BY id")) {
            ps.setString(1, userId);
            try (ResultSet rs = ps.executeQuery()) {
                List<Long> out = new java.util.ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
                return out;
            }
        }
    }

    static OffsetDateTime lastUsedAt(long tokenId) throws Exception {
        try (Connection c = db();
                PreparedStatement ps = c.prepareStatement("SELECT last_used_at FROM api_token WHERE id = ?")) {
            ps.setLong(1, tokenId);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                return rs.getObject(1, OffsetDateTime.class);
            }
        }
    }

    @Test
    void a_token_list_shows_ids_names_and_times_never_the_token_or_its_hash() throws Exception {
        Account u = fx.user("USER");
        JsonObject issued = admin.post(
                        tokens(u.id()), aToken().withName("ci runner").withExpiresInSeconds(3600))
                .expect(201)
                .json();
        assertEquals(u.id(), issued.getString("userId"));
        assertEquals("ci runner", issued.getString("name"));
        assertEquals(
                3600,
                Duration.between(
                                OffsetDateTime.parse(issued.getString("createdAt")),
                                OffsetDateTime.parse(issued.getString("expiresAt")))
                        .toSeconds());
        String second = issued.getString("token");

        Api.Res r = admin.get(tokens(u.id())).expect(200);
        JsonArray list = r.array();
        assertEquals(storedIds(u.id()), ids(list), "every token of the user, by id, oldest first");
        assertEquals(id(issued), ids(list).get(1));
        assertEquals(
                OffsetDateTime.parse(issued.getString("createdAt")).toInstant(),
                OffsetDateTime.parse(list.getJsonObject(1).getString("createdAt"))
                        .toInstant());
        JsonObject first = list.getJsonObject(0);
        assertTrue(first.containsKey("createdAt"));
        assertFalse(first.containsKey("expiresAt"), "the first token never expires");
        assertFalse(first.getBoolean("expired"));
        assertEquals(
                OffsetDateTime.parse(issued.getString("expiresAt")).toInstant(),
                OffsetDateTime.parse(list.getJsonObject(1).getString("expiresAt"))
                        .toInstant());
        for (JsonValue v : list) {
            assertFalse(v.asJsonObject().containsKey("token"));
            assertFalse(v.asJsonObject().containsKey("tokenHash"));
        }
        for (String secret : List.of(u.token(), second, hash(u.token()), hash(second))) {
            assertFalse(r.body().contains(secret), "no token and no hash in " + r.body());
        }
    }

    @Test
    void a_revoked_token_is_refused_at_once_and_the_users_other_tokens_still_work() throws Exception {
        Account u = fx.user("USER");
        JsonObject spare = admin.post(tokens(u.id())).expect(201).json();
        Api viaSpare = admin.as(spare.getString("token"));
        assertEquals(200, viaSpare.get("jobs").status(), "known now, and kept in the node's cache");

        assertEquals(204, admin.delete(tokens(u.id()) + "/" + id(spare)).status());
        assertProblem(viaSpare.get("jobs"), 401);
        assertFalse(storedIds(u.id()).contains(id(spare)), "the row is gone");
        assertProblem(admin.delete(tokens(u.id()) + "/" + id(spare)), 404);
        assertEquals(200, u.api().get("jobs").status(), "the user's first token still works");
        assertEquals(1, admin.get(tokens(u.id())).expect(200).array().size());
    }

    @Test
    void a_token_revoked_on_one_node_is_refused_on_another_within_the_cache_bound() throws Exception {
        try (SecondNode nodeB = SecondNode.start("tokens-node-b")) {
            Account u = fx.user("USER");
            Api onB = nodeB.admin().as(u.token());
            assertEquals(200, onB.get("jobs").status());
            assertEquals(200, onB.get("jobs").status(), "node B knows the token now");
            long tokenId = id(admin.get(tokens(u.id())).expect(200).array().getJsonObject(0));

            assertEquals(204, admin.delete(tokens(u.id()) + "/" + tokenId).status());
            long revoked = System.nanoTime();
            Api.Res r = onB.get("jobs");
            while (r.status() == 200
                    && System.nanoTime() - revoked < Duration.ofSeconds(10).toNanos()) {
                Thread.sleep(10);
                r = onB.get("jobs");
            }
            Duration took = Duration.ofNanos(System.nanoTime() - revoked);
            assertProblem(r, 401);
            assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "refused on node B after " + took);
            System.out.println(
                    "TokensIT: a token revoked on node A was refused on node B after " + took.toMillis() + " ms");
            assertProblem(u.api().get("jobs"), 401);
        }
    }

    @Test
    void an_expired_token_is_refused_even_while_cached() throws Exception {
        Account u = fx.user("USER");
        JsonObject issued = admin.post(tokens(u.id()), aToken().withExpiresInSeconds(120))
                .expect(201)
                .json();
        Api expiring = admin.as(issued.getString("token"));
        assertEquals(200, expiring.get("jobs").status());
        assertEquals(200, expiring.get("jobs").status(), "cached now");

        advance(121);
        assertProblem(expiring.get("jobs"), 401);
        assertEquals(200, u.api().get("jobs").status(), "a token without expiry still works");
        JsonObject listed = admin.get(tokens(u.id())).expect(200).array().stream()
                .map(JsonValue::asJsonObject)
                .filter(t -> id(t) == id(issued))
                .findFirst()
                .orElseThrow();
        assertTrue(listed.getBoolean("expired"));
        assertTrue(storedIds(u.id()).contains(id(issued)), "expired is not deleted: it is listed until revoked");
        assertEquals(204, admin.delete(tokens(u.id()) + "/" + id(issued)).status());
    }

    @Test
    void a_new_tokens_expiry_must_lie_ahead_and_be_given_one_way_only() throws Exception {
        Account u = fx.user("USER");
        record Case(String body, String field) {}
        for (Case c : List.of(
                new Case("{\"expiresAt\":\"2000-01-01T00:00:00Z\"}", "expiresAt"),
                new Case("{\"expiresAt\":\"tomorrow\"}", "expiresAt"),
                new Case("{\"expiresAt\":\"2999-01-01T00:00:00Z\",\"expiresInSeconds\":60}", "expiresInSeconds"),
                new Case("{\"expiresInSeconds\":0}", "expiresInSeconds"),
                new Case("{\"expiresInSeconds\":315360001}", "expiresInSeconds"),
                new Case("{\"name\":\"  \"}", "name"),
                new Case("{\"name\":\"" + "n".repeat(201) + "\"}", "name"),
                new Case("{\"label\":\"x\"}", "label"))) {
            Api.Res r = admin.post(tokens(u.id()), c.body());
            assertProblem(r, 400);
            assertEquals(c.field(), r.json().getString("field"), c.body());
        }
        assertEquals(1, storedIds(u.id()).size(), "nothing was issued");
        assertProblem(admin.post(tokens("nobody-" + u.id())), 404);
        assertProblem(admin.get(tokens("nobody-" + u.id())), 404);
        assertProblem(admin.delete(tokens(u.id()) + "/not-a-number"), 404);

        JsonObject dated = admin.post(tokens(u.id()), aToken().withExpiresAt("2999-01-01T01:00:00+01:00"))
                .expect(201)
                .json();
        assertEquals(
                OffsetDateTime.parse("2999-01-01T00:00:00Z").toInstant(),
                OffsetDateTime.parse(dated.getString("expiresAt")).toInstant());
        assertEquals(200, admin.as(dated.getString("token")).get("jobs").status());
    }

    @Test
    void the_last_use_is_recorded_at_most_once_a_minute() throws Exception {
        Account u = fx.user("USER");
        long tokenId = storedIds(u.id()).get(0);
        assertNull(lastUsedAt(tokenId), "never used yet");

        assertEquals(200, u.api().get("jobs").status());
        OffsetDateTime first = lastUsedAt(tokenId);
        assertNotNull(first);
        for (int i = 0; i < 3; i++) {
            assertEquals(200, u.api().get("jobs").status());
        }
        assertEquals(first, lastUsedAt(tokenId), "not written again within the minute");
        JsonObject listed = admin.get(tokens(u.id())).expect(200).array().getJsonObject(0);
        assertEquals(
                first.toInstant(),
                OffsetDateTime.parse(listed.getString("lastUsedAt")).toInstant());

        advance(61);
        assertEquals(200, u.api().get("jobs").status());
        OffsetDateTime second = lastUsedAt(tokenId);
        assertTrue(Duration.between(first, second).toSeconds() >= 60, first + " then " + second);
    }

    @Test
    void a_user_lists_and_revokes_its_own_tokens_but_not_another_users() throws Exception {
        Account alice = fx.user("USER");
        Account bob = fx.user("USER");
        JsonObject laptop = admin.post(tokens(alice.id()), aToken().withName("laptop"))
                .expect(201)
                .json();

        assertEquals(
                storedIds(alice.id()),
                ids(alice.api().get(tokens(alice.id())).expect(200).array()));
        assertProblem(alice.api().get(tokens(bob.id())), 403);
        long bobs = storedIds(bob.id()).get(0);
        assertProblem(alice.api().delete(tokens(bob.id()) + "/" + bobs), 403);
        assertProblem(alice.api().delete(tokens(alice.id()) + "/" + bobs), 404);
        assertEquals(200, bob.api().get("jobs").status(), "bob's token was not touched");
        assertProblem(alice.api().post(tokens(alice.id())), 403);
        assertEquals(2, storedIds(alice.id()).size(), "issuing is an ADMIN's");

        assertEquals(
                204, alice.api().delete(tokens(alice.id()) + "/" + id(laptop)).status());
        assertProblem(admin.as(laptop.getString("token")).get("jobs"), 401);
        long current = storedIds(alice.id()).get(0);
        assertEquals(
                204, alice.api().delete(tokens(alice.id()) + "/" + current).status(), "even the one it calls with");
        assertProblem(alice.api().get("jobs"), 401);
        assertEquals(List.of(), storedIds(alice.id()));

        Account worker = fx.user("WORKER");
        assertEquals(
                storedIds(worker.id()),
                ids(worker.api().get(tokens(worker.id())).expect(200).array()));
        assertProblem(worker.api().get(tokens(bob.id())), 403);
    }
}
