package io.fairqueue.policies.boundary;

import io.fairqueue.policies.entity.SchedulingPolicy;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.time.OffsetDateTime;

public record PolicyView(long id, String policyType, String name, JsonObject config, boolean enabled,
        OffsetDateTime createdAt) {

    public static PolicyView of(SchedulingPolicy p) {
        return new PolicyView(p.id(), p.policyType(), p.name(),
                Json.createReader(new StringReader(p.config())).readObject(), p.enabled(), p.createdAt());
    }
}
