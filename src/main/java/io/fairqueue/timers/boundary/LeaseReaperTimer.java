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

/** Every second: runs whose lease expired (a dead worker) or that passed the lock timeout end as failed attempts. */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@LocalBean
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class LeaseReaperTimer extends ManagedTimer {

    @Inject
    Housekeeping housekeeping;

    public LeaseReaperTimer() {
        super("LeaseReaper", Duration.ofSeconds(1));
    }

    @Schedule(second = "*", minute = "*", hour = "*", persistent = false)
    void onSchedule(Timer timer) {
        tick(timer);
    }

    @Override
    protected String work() {
        int reaped = 0;
        for (long id : housekeeping.expired()) {
            reaped += housekeeping.reap(id) ? 1 : 0;
        }
        return "reaped " + reaped;
    }
}
