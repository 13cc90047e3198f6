package io.fairqueue.jobs.entity;

import java.time.Duration;

/** Exponential backoff: {@code min(3600, base * 2^(attempt-1))} seconds (seed 004). */
public final class RetryPolicy {

    public static final long MAX_DELAY_SECONDS = 3600;

    private RetryPolicy() {}

    public static Duration delay(int attempt, int baseSeconds) {
        if (attempt < 1 || baseSeconds < 1) {
            throw new IllegalArgumentException("attempt and base must be positive");
        }
        int shift = attempt - 1;
        long seconds = shift >= 12 ? MAX_DELAY_SECONDS : Math.min(MAX_DELAY_SECONDS, (long) baseSeconds << shift);
        return Duration.ofSeconds(seconds);
    }
}
