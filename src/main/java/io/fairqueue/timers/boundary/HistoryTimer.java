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
 * Every minute, 5 s past: rolls the minutes that closed since the last run up into the per-minute
 * history of {@code GET /admin/history} (fq_roll_history: from the jobs finished in them and the
 * status counters). One node rolls at a time; the others skip.
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@LocalBean
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class HistoryTimer extends ManagedTimer {

    @Inject
    Housekeeping housekeeping;

    public HistoryTimer() {
        super("History", Duration.ofMinutes(1));
    }

    @Schedule(second = "5", minute = "*", hour = "*", persistent = false)
    void onSchedule(Timer timer) {
        tick(timer);
    }

    @Override
    protected String work() {
        return "rolled up " + housekeeping.rollHistory() + " minute rows";
    }
}
