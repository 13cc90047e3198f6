package io.fairqueue.timers.boundary;

import io.fairqueue.timers.control.Housekeeping;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.LocalBean;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.Timer;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import java.time.Duration;

/**
 * Every second: SCHEDULED jobs whose start came and RETRY_WAIT jobs whose backoff elapsed become
 * PENDING; then the count deltas (positions, counts by status) are folded.
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@LocalBean
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class PromoterTimer extends ManagedTimer {

    @Inject
    Housekeeping housekeeping;

    public PromoterTimer() {
        super("Promoter", Duration.ofSeconds(1));
    }

    @Schedule(second = "*", minute = "*", hour = "*", persistent = false)
    void onSchedule(Timer timer) {
        tick(timer);
    }

    @Override
    protected String work() {
        return "promoted " + housekeeping.promote() + ", folded " + housekeeping.compactCounts() + " count deltas";
    }
}
