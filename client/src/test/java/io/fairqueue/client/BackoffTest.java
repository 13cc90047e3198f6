package io.fairqueue.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The jittered backoff grows, stays under its cap and actually varies. */
class BackoffTest {

    @Test
    void delays_double_within_their_jitter_and_stop_at_the_cap() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            long first = b.delay(1).toMillis();
            long third = b.delay(3).toMillis();
            long tenth = b.delay(10).toMillis();
            assertTrue(first >= 50 && first <= 100, "first " + first);
            assertTrue(third >= 200 && third <= 400, "third " + third);
            assertTrue(tenth >= 500 && tenth <= 1000, "tenth " + tenth);
            seen.add(first);
        }
        assertTrue(seen.size() > 10, "jittered, not fixed");
    }
}
