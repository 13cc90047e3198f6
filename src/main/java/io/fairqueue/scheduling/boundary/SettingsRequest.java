package io.fairqueue.scheduling.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import io.fairqueue.platform.json.JsonText;
import jakarta.json.JsonValue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/**
 * {@code PUT /admin/settings}: {@code {perUserSerialization: {enabled, lockTimeoutSeconds}, globalSlots}}.
 * Absent members stay as they are; {@code "globalSlots": null} removes the global limit.
 */
public record SettingsRequest(
        Boolean serializationEnabled,

        @Min(value = 10, message = "must be between 10 and 2592000")
        @Max(value = 2592000, message = "must be between 10 and 2592000")
        Integer lockTimeoutSeconds,

        @Min(value = 1, message = "must be at least 1") Integer globalSlots,
        boolean globalSlotsGiven)
        implements JsonRequest {

    public static SettingsRequest from(JsonFields f) {
        f.allow("perUserSerialization", "globalSlots");
        Boolean enabled = null;
        Integer timeout = null;
        String nested = f.document("perUserSerialization");
        if (nested != null) {
            JsonValue v = JsonText.parse(nested);
            if (v.getValueType() != JsonValue.ValueType.OBJECT) {
                throw badRequest("perUserSerialization", "must be an object {enabled, lockTimeoutSeconds}");
            }
            JsonFields inner = JsonFields.of(v).allow("enabled", "lockTimeoutSeconds");
            enabled = inner.bool("enabled");
            timeout = inner.integer("lockTimeoutSeconds");
        }
        return new SettingsRequest(enabled, timeout, f.integer("globalSlots"), f.has("globalSlots"));
    }
}
