package io.fairqueue.quotas.boundary;

import java.time.LocalDate;
import java.time.OffsetDateTime;

public record QuotaView(String scope, String key, Long dailyLimitSecs, Long weeklyLimitSecs) {

    /**
     * {@code GET /quota/status}: the user's usage in the current day, week and month (in the
     * QUOTA_RESET time zone); {@code warning} at 80% or more of any limit, {@code exhausted} at 100%.
     */
    public record Status(
            String userId,
            String timezone,
            Window day,
            Window week,
            Window month,
            boolean warning,
            boolean exhausted) {}

    /**
     * {@code GET /admin/projects/{id}/quota}: the project's limits (absent = unlimited) and its
     * usage in the current day, week and month (in the QUOTA_RESET time zone).
     */
    public record ProjectStatus(
            String projectId,
            String timezone,
            Long dailyLimitSecs,
            Long weeklyLimitSecs,
            Window day,
            Window week,
            Window month,
            boolean warning,
            boolean exhausted) {}

    /** One window; {@code limitSecs} and {@code remainingSecs} are absent when unlimited. */
    public record Window(
            LocalDate periodStart, OffsetDateTime resetsAt, double usedSecs, Long limitSecs, Double remainingSecs) {

        static Window of(LocalDate start, OffsetDateTime resetsAt, double used, Long limit) {
            return new Window(start, resetsAt, used, limit, limit == null ? null : Math.max(0.0, limit - used));
        }

        boolean atLeast(double fraction) {
            return limitSecs != null && usedSecs >= fraction * limitSecs;
        }
    }
}
