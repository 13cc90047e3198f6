package io.fairqueue.security.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fairqueue.users.entity.Role;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rules that keep a cached token owner from outliving a change. */
class CallerCacheTest {

    static final Caller ALICE = new Caller("alice", Role.USER);

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
        assertEquals(Optional.of(ALICE), CallerCache.get("h1"));
        CallerCache.invalidate();
        assertTrue(CallerCache.get("h1").isEmpty());
    }

    @Test
    void a_lookup_that_began_before_a_change_is_never_kept() {
        long generation = CallerCache.generation();
        CallerCache.invalidate(); // the role changed while the lookup read the old row
        CallerCache.put("h2", ALICE, generation, System.nanoTime());
        assertTrue(CallerCache.get("h2").isEmpty());
    }

    @Test
    void nothing_is_used_while_the_node_does_not_hear_changes() {
        CallerCache.put("h3", ALICE, CallerCache.generation(), System.nanoTime());
        CallerCache.listening(false);
        assertTrue(CallerCache.get("h3").isEmpty());
        CallerCache.put("h3", ALICE, CallerCache.generation(), System.nanoTime());
        assertTrue(CallerCache.get("h3").isEmpty());
        CallerCache.listening(true);
        assertTrue(CallerCache.get("h3").isEmpty(), "entries of before the connection came back are gone");
    }

    @Test
    void an_entry_is_used_for_at_most_its_max_age() {
        CallerCache.put("h4", ALICE, CallerCache.generation(), System.nanoTime() - CallerCache.MAX_AGE_NANOS);
        assertTrue(CallerCache.get("h4").isEmpty());
    }
}
