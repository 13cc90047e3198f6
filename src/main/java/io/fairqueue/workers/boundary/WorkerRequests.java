package io.fairqueue.workers.boundary;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

public final class WorkerRequests {

    private WorkerRequests() {}

    public record Register(
            @NotBlank(message = "is required") @Size(max = 100, message = "must be at most 100 characters")
            String name,

            @Min(value = 1, message = "must be between 1 and 1000")
            @Max(value = 1000, message = "must be between 1 and 1000")
            Integer capacity,

            @Pattern(regexp = "https?://[^\\s]+", message = "must be an absolute http:// or https:// URL")
            @Size(max = 2000, message = "must be at most 2000 characters")
            String callbackUrl,

            @Size(max = 100, message = "must name at most 100 queues")
            List<String> queues)
            implements JsonRequest {

        public static Register from(JsonFields f) {
            f.allow("name", "capacity", "callbackUrl", "queues");
            return new Register(f.string("name"), f.integer("capacity"), f.string("callbackUrl"), f.strings("queues"));
        }
    }
}
