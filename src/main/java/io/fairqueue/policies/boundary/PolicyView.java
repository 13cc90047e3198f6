package io.fairqueue.policies.boundary;

import io.fairqueue.platform.json.JsonText;
import io.fairqueue.policies.entity.SchedulingPolicy;
import jakarta.json.JsonObject;
import java.time.OffsetDateTime;

public record PolicyView(
        long id, String policyType, String name, JsonObject config, boolean enabled, OffsetDateTime createdAt) {

    public static PolicyView of(SchedulingPolicy p) {
        return new PolicyView(
                p.id(),
                p.policyType(),
                p.name(),
                JsonText.parse(p.config()).asJsonObject(),
                p.enabled(),
                p.createdAt());
    }
}
