package io.fairqueue.policies.control;

import io.fairqueue.platform.control.NotificationListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * Drops the off-peak windows this node keeps ({@link OffPeakWindows}) when any node changes a
 * scheduling policy: the table's trigger notifies {@value #CHANNEL} (R__notifications.sql).
 */
@ApplicationScoped
public class PolicyChanges implements NotificationListener {

    public static final String CHANNEL = "fq_policies";

    @Override
    public Set<String> channels() {
        return Set.of(CHANNEL);
    }

    @Override
    public void notified(String channel, String payload) {
        OffPeakWindows.invalidate();
    }

    @Override
    public void listening(boolean now) {
        // changes made while nobody listened were not heard of
        OffPeakWindows.invalidate();
    }
}
