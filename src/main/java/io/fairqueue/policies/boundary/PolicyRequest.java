package io.fairqueue.policies.boundary;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** A scheduling policy: {@code {policyType, name?, config: {...}, enabled?}}. */
public record PolicyRequest(
        @NotNull(message = "is required")
        @Pattern(regexp = "[A-Z][A-Z_]{0,39}", message = "must be an upper-case name such as OFF_PEAK or QUOTA_RESET")
        String policyType,

        @Size(max = 200, message = "must be at most 200 characters")
        String name,

        @NotNull(message = "is required (a JSON object)") String config,
        Boolean enabled)
        implements JsonRequest {

    public static PolicyRequest from(JsonFields f) {
        f.allow("policyType", "name", "config", "enabled");
        return new PolicyRequest(f.string("policyType"), f.string("name"), f.document("config"), f.bool("enabled"));
    }
}
