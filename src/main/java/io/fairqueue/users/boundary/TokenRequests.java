package io.fairqueue.users.boundary;

import static io.fairqueue.platform.problem.ProblemException.badRequest;

import io.fairqueue.platform.json.JsonFields;
import io.fairqueue.platform.json.JsonRequest;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Request bodies of the token endpoints. */
public final class TokenRequests {

    /** Ten years. */
    static final long MAX_LIFETIME_SECONDS = 315_360_000L;

    private TokenRequests() {}

    /** A new token: an optional name and an optional expiry (a time, or seconds from now; not both). */
    public record Issue(
            @Size(min = 1, max = 200, message = "must be 1-200 characters")
            @Pattern(regexp = "(?s).*\\S.*", message = "must not be blank")
            String name,

            OffsetDateTime expiresAt,

            @Min(value = 1, message = "must be at least 1")
            @Max(value = MAX_LIFETIME_SECONDS, message = "must be at most " + MAX_LIFETIME_SECONDS + " (10 years)")
            Long expiresInSeconds)
            implements JsonRequest {

        /** No body: no name, never expires. */
        public static final Issue NONE = new Issue(null, null, null);

        public static Issue from(JsonFields f) {
            f.allow("name", "expiresAt", "expiresInSeconds");
            Issue r = new Issue(f.string("name"), f.timestamp("expiresAt"), f.longValue("expiresInSeconds"));
            if (r.expiresAt() != null && r.expiresInSeconds() != null) {
                throw badRequest("expiresInSeconds", "give either expiresAt or expiresInSeconds, not both");
            }
            return r;
        }

        /** When the token stops being valid (null: never); 400 for an {@code expiresAt} that is not ahead of {@code now}. */
        OffsetDateTime expiry(OffsetDateTime now) {
            if (expiresInSeconds != null) {
                return now.plusSeconds(expiresInSeconds);
            }
            if (expiresAt == null) {
                return null;
            }
            if (!expiresAt.isAfter(now)) {
                throw badRequest("expiresAt", "must be in the future");
            }
            return expiresAt.withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        }
    }
}
