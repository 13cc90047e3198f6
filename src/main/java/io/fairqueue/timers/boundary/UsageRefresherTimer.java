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
 * Every 10 s: lifts quota blocks whose window reset and registers MXBeans of new queues. (The count
 * deltas are folded by the Promoter, every second.)
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@LocalBean
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class UsageRefresherTimer extends ManagedTimer {

    @Inject
    Housekeeping housekeeping;

    @Inject
    QueueMXBeans queueBeans;

    public UsageRefresherTimer() {
        super("UsageRefresher", Duration.ofSeconds(10));
    }

    @Schedule(second = "*/10", minute = "*", hour = "*", persistent = false)
    void onSchedule(Timer timer) {
        tick(timer);
    }

    @Override
    protected String work() {
        int unblocked = housekeeping.refreshUsage();
        queueBeans.refresh();
        return "unblocked " + unblocked + " lanes";
    }
}
