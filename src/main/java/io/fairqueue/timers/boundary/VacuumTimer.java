package io.fairqueue.timers.boundary;

import io.fairqueue.timers.control.Vacuum;
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
import java.util.List;

/** Every 5 s: vacuums and analyzes the hot tables whose dead rows piled up ({@link Vacuum}). */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@LocalBean
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class VacuumTimer extends ManagedTimer {

    @Inject
    Vacuum vacuum;

    public VacuumTimer() {
        super("Vacuum", Duration.ofSeconds(5));
    }

    @Schedule(second = "*/5", minute = "*", hour = "*", persistent = false)
    void onSchedule(Timer timer) {
        tick(timer);
    }

    @Override
    protected String work() {
        List<String> done = vacuum.run();
        return done.isEmpty() ? "nothing due" : String.join(", ", done);
    }
}
