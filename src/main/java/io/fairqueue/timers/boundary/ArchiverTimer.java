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
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Every minute: terminal jobs finished more than {@code fairqueue.archive.retention-days} (default
 * 90) ago move with their transitions to {@code job_archive} / {@code job_transition_archive},
 * in batches until none is left; the per-minute history older than {@code
 * fairqueue.history.retention-days} (default 30) is deleted.
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@LocalBean
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class ArchiverTimer extends ManagedTimer {

    private static final Logger LOG = Logger.getLogger(ArchiverTimer.class.getName());
    static final int MAX_BATCHES_PER_RUN = 20;

    @Inject
    Housekeeping housekeeping;

    @Inject
    @ConfigProperty(name = "fairqueue.archive.retention-days", defaultValue = "90")
    int retentionDays;

    @Inject
    @ConfigProperty(name = "fairqueue.history.retention-days", defaultValue = "30")
    int historyRetentionDays;

    public ArchiverTimer() {
        super("Archiver", Duration.ofMinutes(1));
    }

    @Schedule(second = "0", minute = "*", hour = "*", persistent = false)
    void onSchedule(Timer timer) {
        tick(timer);
    }

    @Override
    protected String work() {
        int total = 0;
        for (int i = 0; i < MAX_BATCHES_PER_RUN; i++) {
            int n = housekeeping.archive(retentionDays);
            total += n;
            if (n == 0) {
                break;
            }
        }
        if (total > 0) {
            LOG.info("Archived " + total + " jobs finished more than " + retentionDays + " days ago");
        }
        int pruned = housekeeping.pruneHistory(historyRetentionDays);
        return "archived " + total + ", pruned " + pruned + " history rows";
    }
}
