package io.fairqueue.timers.boundary;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.StreamSupport;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code /health/live} is DOWN when an enabled timer has not started a run for three of its
 * periods (after a grace period of three periods from start). A disabled timer is reported, not
 * failed: switching one off is an operator's decision.
 *
 * <p>The timers are found, not listed: every bean that is a {@link ManagedTimer} is checked, so a
 * new timer is covered the moment it exists. Time is the injected {@link Clock}, the one the
 * timers stamp their runs with.
 */
@Liveness
@ApplicationScoped
public class TimersHealth implements HealthCheck {

    @Inject
    @Any
    Instance<ManagedTimer> timers;

    @Inject
    Clock clock;

    private Instant started;

    @PostConstruct
    void start() {
        started = clock.instant();
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder r = HealthCheckResponse.named("timers").up();
        Instant now = clock.instant();
        StreamSupport.stream(timers.spliterator(), false)
                .sorted(Comparator.comparing(ManagedTimer::name))
                .forEach(t -> {
                    String state = state(
                            t.isEnabled(),
                            t.period(),
                            t.getLastRunStart() == null
                                    ? null
                                    : t.getLastRunStart().toInstant(),
                            started,
                            now);
                    r.withData(t.name(), state);
                    if (state.startsWith("late")) {
                        r.down();
                    }
                });
        return r.build();
    }

    /** "ok", "disabled", or "late: ..." when an enabled timer has not started a run for three periods. */
    static String state(boolean enabled, Duration period, Instant lastRun, Instant started, Instant now) {
        if (!enabled) {
            return "disabled";
        }
        Instant last = lastRun == null ? started : lastRun;
        return last.plus(period.multipliedBy(3)).isBefore(now)
                ? "late: " + (lastRun == null ? "no run since the start at " + started : "last run " + lastRun)
                : "ok";
    }
}
