package io.fairqueue.jobs.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryPolicyTest {

    @ParameterizedTest(name = "attempt {0}, base {1}s -> {2}s")
    @CsvSource({
        "1, 10, 10", "2, 10, 20", "3, 10, 40", "4, 10, 80", "9, 10, 2560", "10, 10, 3600", "11, 10, 3600",
        "1, 1, 1", "12, 1, 2048", "13, 1, 3600", "60, 1, 3600", "1000, 3600, 3600", "1, 3600, 3600", "2, 1800, 3600"
    })
    void delay_doubles_per_attempt_and_caps_at_one_hour(int attempt, int base, long expectedSeconds) {
        assertEquals(expectedSeconds, RetryPolicy.delay(attempt, base).toSeconds());
    }

    @Test
    void attempt_and_base_must_be_positive() {
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.delay(0, 10));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.delay(1, 0));
    }
}
