package io.fairqueue.policies.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fairqueue.policies.control.OffPeakWindows.Window;
import jakarta.json.Json;
import java.io.StringReader;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Off-peak windows: wrapping midnight, in the policy's time zone (with its daylight saving). */
class OffPeakWindowTest {

    static Window window(String json) {
        return Window.of(Json.createReader(new StringReader(json)).readObject());
    }

    @ParameterizedTest(name = "{0} at {1} -> {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                // 22:00-08:00 UTC wraps midnight
                "{\"start\":\"22:00\",\"end\":\"08:00\"}                             | 2026-01-10T21:59:59Z | false",
                "{\"start\":\"22:00\",\"end\":\"08:00\"}                             | 2026-01-10T22:00:00Z | true",
                "{\"start\":\"22:00\",\"end\":\"08:00\"}                             | 2026-01-11T03:00:00Z | true",
                "{\"start\":\"22:00\",\"end\":\"08:00\"}                             | 2026-01-11T07:59:59Z | true",
                "{\"start\":\"22:00\",\"end\":\"08:00\"}                             | 2026-01-11T08:00:00Z | false",
                // the same window in Berlin: UTC+1 in winter, UTC+2 in summer
                "{\"start\":\"22:00\",\"end\":\"08:00\",\"timezone\":\"Europe/Berlin\"} | 2026-01-10T21:30:00Z | true",
                "{\"start\":\"22:00\",\"end\":\"08:00\",\"timezone\":\"Europe/Berlin\"} | 2026-01-11T07:30:00Z | false",
                "{\"start\":\"22:00\",\"end\":\"08:00\",\"timezone\":\"Europe/Berlin\"} | 2026-07-10T20:30:00Z | true",
                "{\"start\":\"22:00\",\"end\":\"08:00\",\"timezone\":\"Europe/Berlin\"} | 2026-07-11T06:30:00Z | false",
                // a window inside one day, and one across the date line
                "{\"start\":\"12:00\",\"end\":\"13:00\"}                             | 2026-01-10T12:30:00Z | true",
                "{\"start\":\"12:00\",\"end\":\"13:00\"}                             | 2026-01-10T13:00:00Z | false",
                "{\"start\":\"01:00\",\"end\":\"05:00\",\"timezone\":\"Pacific/Auckland\"} | 2026-01-10T13:30:00Z | true",
                // start == end: all day
                "{\"start\":\"00:00\",\"end\":\"00:00\"}                             | 2026-01-10T15:00:00Z | true"
            })
    void a_window_contains_exactly_the_local_times_between_start_and_end(String config, String at, boolean open) {
        assertEquals(open, window(config).contains(OffsetDateTime.parse(at)));
    }

    @Test
    void a_config_without_times_or_with_an_unknown_zone_is_rejected() {
        assertThrows(IllegalArgumentException.class, () -> window("{\"end\":\"08:00\"}"));
        assertThrows(IllegalArgumentException.class, () -> window("{\"start\":\"25:00\",\"end\":\"08:00\"}"));
        assertThrows(
                IllegalArgumentException.class,
                () -> window("{\"start\":\"22:00\",\"end\":\"08:00\",\"timezone\":\"Mars/Base\"}"));
    }
}
