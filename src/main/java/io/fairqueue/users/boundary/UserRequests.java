package io.fairqueue.users.boundary;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import io.fairqueue.users.entity.Role;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.math.BigDecimal;

/** Request bodies of the user administration endpoints. */
public final class UserRequests {

    static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}";

    private UserRequests() {}

    public record Create(
            @NotNull(message = "is required")
            @Pattern(
                    regexp = ID_PATTERN,
                    message = "must be 1-64 characters of letters, digits, _ . @ - starting with a letter or digit")
            String id,

            @NotBlank(message = "is required") @Size(max = 200, message = "must be at most 200 characters")
            String displayName,

            @NotNull(message = "is required") Role role,

            @Min(value = 1, message = "must be at least 1") @Max(value = 10000, message = "must be at most 10000")
            Integer maxConcurrent,

            @DecimalMin(value = "0", message = "must not be negative")
            @Digits(integer = 10, fraction = 2, message = "must have at most 10 integer digits and 2 decimals")
            BigDecimal monthlyHoursLimit)
            implements JsonRequest {

        public static Create from(JsonFields f) {
            f.allow("id", "displayName", "role", "maxConcurrent", "monthlyHoursLimit");
            return new Create(
                    f.string("id"),
                    f.string("displayName"),
                    f.enumValue("role", Role.class),
                    f.integer("maxConcurrent"),
                    f.decimal("monthlyHoursLimit"));
        }
    }

    /** Absent members stay as they are; {@code "monthlyHoursLimit": null} removes the limit. */
    public record Patch(
            @Size(min = 1, max = 200, message = "must be 1-200 characters")
            @Pattern(regexp = "(?s).*\\S.*", message = "must not be blank")
            String displayName,

            Role role,

            @Min(value = 1, message = "must be at least 1") @Max(value = 10000, message = "must be at most 10000")
            Integer maxConcurrent,

            @DecimalMin(value = "0", message = "must not be negative")
            @Digits(integer = 10, fraction = 2, message = "must have at most 10 integer digits and 2 decimals")
            BigDecimal monthlyHoursLimit,

            boolean monthlyHoursLimitGiven)
            implements JsonRequest {

        public static Patch from(JsonFields f) {
            f.allow("displayName", "role", "maxConcurrent", "monthlyHoursLimit");
            return new Patch(
                    f.string("displayName"),
                    f.enumValue("role", Role.class),
                    f.integer("maxConcurrent"),
                    f.decimal("monthlyHoursLimit"),
                    f.has("monthlyHoursLimit"));
        }
    }
}
