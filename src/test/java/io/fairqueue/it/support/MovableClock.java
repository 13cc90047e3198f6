package io.fairqueue.it.support;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test deployments only: replaces the system clock with one that tests can move forward
 * (through {@link ClockResource}), so backoff and scheduled starts are tested without sleeping.
 * The produced clock reads the offset on every call, so beans holding it see every move.
 */
@Alternative
@Priority(1000)
@ApplicationScoped
public class MovableClock {

    static final AtomicLong OFFSET_MILLIS = new AtomicLong();

    private static final Clock MOVABLE = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return Clock.offset(Clock.system(zone), java.time.Duration.ofMillis(OFFSET_MILLIS.get()));
        }

        @Override
        public Instant instant() {
            return Instant.now().plusMillis(OFFSET_MILLIS.get());
        }
    };

    @Produces
    public Clock clock() {
        return MOVABLE;
    }
}
