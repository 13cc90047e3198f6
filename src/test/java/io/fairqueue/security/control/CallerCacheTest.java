package io.fairqueue.security.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.users.entity.Role;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rules that keep a cached token owner from outliving a change or its token's expiry. */
class CallerCacheTest {

    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final KnownToken ALICE = new KnownToken(1, new Caller("alice", Role.USER), null, null);

    @BeforeEach
    void listening() {
        CallerCache.listening(true);
    }

    @AfterEach
    void deaf() {
        CallerCache.listening(false);
    }

    @Test
    void a_lookup_is_kept_until_a_change_drops_it() {
        CallerCache.put("h1", ALICE, CallerCache.generation(), System.nanoTime());
        assertEquals(Optional.of(ALICE), CallerCache.get("h1", NOW));
        CallerCache.invalidate();
        assertTrue(CallerCache.get("h1", NOW).isEmpty());
    }

    @Test
    void a_lookup_that_began_before_a_change_is_never_kept() {
        long generation = CallerCache.generation();
        CallerCache.invalidate(); // the role changed while the lookup read the old row
        CallerCache.put("h2", ALICE, generation, System.nanoTime());
        assertTrue(CallerCache.get("h2", NOW).isEmpty());
    }

    @Test
    void nothing_is_used_while_the_node_does_not_hear_changes() {
        CallerCache.put("h3", ALICE, CallerCache.generation(), System.nanoTime());
        CallerCache.listening(false);
        assertTrue(CallerCache.get("h3", NOW).isEmpty());
        CallerCache.put("h3", ALICE, CallerCache.generation(), System.nanoTime());
        assertTrue(CallerCache.get("h3", NOW).isEmpty());
        CallerCache.listening(true);
        assertTrue(CallerCache.get("h3", NOW).isEmpty(), "entries of before the connection came back are gone");
    }

    @Test
    void an_entry_is_used_for_at_most_its_max_age() {
        CallerCache.put("h4", ALICE, CallerCache.generation(), System.nanoTime() - CallerCache.MAX_AGE_NANOS);
        assertTrue(CallerCache.get("h4", NOW).isEmpty());
    }

    @Test
    void an_entry_is_never_used_from_its_tokens_expiry_on() {
        KnownToken expiring = new KnownToken(5, new Caller("bob", Role.WORKER), NOW.plusSeconds(1), null);
        CallerCache.put("h5", expiring, CallerCache.generation(), System.nanoTime());
        assertEquals(Optional.of(expiring), CallerCache.get("h5", NOW));
        assertTrue(CallerCache.get("h5", NOW.plusSeconds(1)).isEmpty(), "the expiry instant is already too late");
        assertTrue(CallerCache.get("h5", NOW.plusSeconds(60)).isEmpty());
    }

    @Test
    void a_recorded_use_updates_the_entry_but_not_its_age_or_generation() {
        long generation = CallerCache.generation();
        CallerCache.put("h6", ALICE, generation, System.nanoTime() - CallerCache.MAX_AGE_NANOS + 1_000_000_000L);
        CallerCache.used("h6", ALICE.usedAt(NOW));
        assertEquals(NOW, CallerCache.get("h6", NOW).orElseThrow().lastUsedAt());
        CallerCache.invalidate();
        CallerCache.used("h6", ALICE.usedAt(NOW));
        assertTrue(CallerCache.get("h6", NOW).isEmpty(), "a use does not bring a dropped entry back");
    }

    @Test
    void a_use_is_recorded_once_a_minute_at_most() {
        assertTrue(ALICE.useDueAt(NOW), "never recorded yet");
        KnownToken used = ALICE.usedAt(NOW);
        assertFalse(used.useDueAt(NOW));
        assertFalse(used.useDueAt(NOW.plusSeconds(59)));
        assertTrue(used.useDueAt(NOW.plusSeconds(60)));
    }

    @Test
    void a_token_without_expiry_never_expires() {
        assertFalse(ALICE.expiredAt(Instant.MAX));
        KnownToken expiring = new KnownToken(7, ALICE.caller(), NOW, null);
        assertFalse(expiring.expiredAt(NOW.minusNanos(1)));
        assertTrue(expiring.expiredAt(NOW));
    }
}
