package io.fairqueue.queues.boundary;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** Request bodies of the queue endpoints. Limits match the CHECK constraints of the schema. */
public final class QueueRequests {

    private QueueRequests() {}

    public record Create(
            @NotNull(message = "is required")
            @Pattern(
                    regexp = "[a-z0-9][a-z0-9_.-]{0,63}",
                    message = "must be 1-64 characters of a-z, 0-9, _ . - starting with a letter or digit")
            String name,

            @Size(max = 1000, message = "must be at most 1000 characters")
            String description,

            @Min(value = 1, message = "must be at least 1") Integer maxConcurrent,

            @Min(value = 0, message = "must be between 0 and 100")
            @Max(value = 100, message = "must be between 0 and 100")
            Integer maxRetries,

            @Min(value = 1, message = "must be between 1 and 3600")
            @Max(value = 3600, message = "must be between 1 and 3600")
            Integer retryBaseDelaySeconds,

            @Min(value = 5, message = "must be between 5 and 86400")
            @Max(value = 86400, message = "must be between 5 and 86400")
            Integer leaseSeconds)
            implements JsonRequest {

        public static Create from(JsonFields f) {
            f.allow("name", "description", "maxConcurrent", "maxRetries", "retryBaseDelaySeconds", "leaseSeconds");
            return new Create(
                    f.string("name"),
                    f.string("description"),
                    f.integer("maxConcurrent"),
                    f.integer("maxRetries"),
                    f.integer("retryBaseDelaySeconds"),
                    f.integer("leaseSeconds"));
        }
    }

    /**
     * Absent members stay as they are; {@code "maxConcurrent": null} makes the queue unlimited,
     * {@code "description": null} removes the description.
     */
    public record Patch(
            @Size(max = 1000, message = "must be at most 1000 characters")
            String description,

            boolean descriptionGiven,
            @Min(value = 1, message = "must be at least 1") Integer maxConcurrent,
            boolean maxConcurrentGiven,

            @Min(value = 0, message = "must be between 0 and 100")
            @Max(value = 100, message = "must be between 0 and 100")
            Integer maxRetries,

            @Min(value = 1, message = "must be between 1 and 3600")
            @Max(value = 3600, message = "must be between 1 and 3600")
            Integer retryBaseDelaySeconds,

            @Min(value = 5, message = "must be between 5 and 86400")
            @Max(value = 86400, message = "must be between 5 and 86400")
            Integer leaseSeconds)
            implements JsonRequest {

        public static Patch from(JsonFields f) {
            f.allow("description", "maxConcurrent", "maxRetries", "retryBaseDelaySeconds", "leaseSeconds");
            return new Patch(
                    f.string("description"),
                    f.has("description"),
                    f.integer("maxConcurrent"),
                    f.has("maxConcurrent"),
                    f.integer("maxRetries"),
                    f.integer("retryBaseDelaySeconds"),
                    f.integer("leaseSeconds"));
        }
    }
}
