package io.fairqueue.quotas.boundary;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/** {@code PUT .../quota}: GPU seconds per day and per week; absent or null = unlimited. */
public record QuotaRequest(
        @Min(value = 0, message = "must not be negative") @Max(value = 31_536_000_000L, message = "is too large")
        Long dailyLimitSecs,

        @Min(value = 0, message = "must not be negative") @Max(value = 31_536_000_000L, message = "is too large")
        Long weeklyLimitSecs)
        implements JsonRequest {

    public static QuotaRequest from(JsonFields f) {
        f.allow("dailyLimitSecs", "weeklyLimitSecs");
        return new QuotaRequest(f.longValue("dailyLimitSecs"), f.longValue("weeklyLimitSecs"));
    }
}
