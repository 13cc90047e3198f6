package io.fairqueue.timers.boundary;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code /health/live} is DOWN when an enabled timer has not started a run for three of its
 * periods (after a grace period of three periods from start). A disabled timer is reported, not
 * failed: switching one off is an operator's decision.
 */
@Liveness
@ApplicationScoped
public class TimersHealth implements HealthCheck {

    private final Instant started = Instant.now();

    @Inject
    PromoterTimer promoter;

    @Inject
    LeaseReaperTimer reaper;

    @Inject
    DispatcherTimer dispatcher;

    @Inject
    UsageRefresherTimer usage;

    @Inject
    ArchiverTimer archiver;

    @Inject
    VacuumTimer vacuum;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder r = HealthCheckResponse.named("timers").up();
        Instant now = Instant.now();
        for (ManagedTimer t : List.of(promoter, reaper, dispatcher, usage, archiver, vacuum)) {
            Duration allowed = t.period().multipliedBy(3);
            Instant last = t.getLastRunStart() == null ? started : t.getLastRunStart().toInstant();
            boolean late = t.isEnabled() && last.plus(allowed).isBefore(now);
            r.withData(t.name(), !t.isEnabled() ? "disabled" : late ? "late: last run " + last : "ok");
            if (late) {
                r.down();
            }
        }
        return r.build();
    }
}
