package io.fairqueue.platform.control;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Timestamps as PostgreSQL stores them: UTC, microsecond precision. */
public final class Time {

    private Time() {}

    public static OffsetDateTime now(Clock clock) {
        return OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    public static double secondsBetween(OffsetDateTime from, OffsetDateTime to) {
        return ChronoUnit.MICROS.between(from, to) / 1_000_000.0;
    }
}
