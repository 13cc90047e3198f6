package io.fairqueue.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: attempt n waits a random time in
 * {@code [base * 2^(n-1) / 2, base * 2^(n-1)]}, at most {@code cap}. The jitter spreads the
 * retries of many clients that failed together (a server restart) so they do not return in step.
 */
public record Backoff(Duration base, Duration cap) {

    /** The default: 200 ms doubling up to 10 s. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));

    /** The delay before retry number {@code attempt} (1 = the first retry). */
    public Duration delay(int attempt) {
        long ceiling = base.toMillis() << Math.min(Math.max(attempt - 1, 0), 20);
        ceiling = Math.min(ceiling, cap.toMillis());
        long floor = ceiling / 2;
        return Duration.ofMillis(floor + ThreadLocalRandom.current().nextLong(ceiling - floor + 1));
    }
}
