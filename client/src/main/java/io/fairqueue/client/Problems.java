package io.fairqueue.client;

import jakarta.json.JsonObject;

/**
 * Maps an HTTP error status and its problem document to the matching typed exception, so that a
 * caller catches {@link NotFoundException} or {@link LeaseLostException} instead of parsing text.
 */
public final class Problems {

    private Problems() {}

    /** The exception for {@code status} and its problem document ({@code problem} may be null). */
    public static FairQueueException toException(int status, JsonObject problem) {
        String type = problem == null ? "" : problem.getString("type", "");
        return switch (status) {
            case 400 -> new InvalidInputException(status, problem);
            case 401 -> new UnauthorizedException(status, problem);
            case 403 -> new ForbiddenException(status, problem);
            case 404 -> new NotFoundException(status, problem);
            case 409 ->
                type.endsWith("/stale-lease") || type.endsWith("/lease-revoked")
                        ? new LeaseLostException(status, problem)
                        : new ConflictException(status, problem);
            case 503 -> new ServiceUnavailableException(status, problem);
            default -> new FairQueueException(status, problem);
        };
    }

    /** 400 {@code invalid-input}: {@link #field()} names the offending member. */
    public static final class InvalidInputException extends FairQueueException {
        InvalidInputException(int status, JsonObject problem) {
            super(status, problem);
        }
    }

    /** 401: missing, unknown, revoked or expired token. */
    public static final class UnauthorizedException extends FairQueueException {
        UnauthorizedException(int status, JsonObject problem) {
            super(status, problem);
        }
    }

    /** 403: the token's role or ownership does not allow the call. */
    public static final class ForbiddenException extends FairQueueException {
        ForbiddenException(int status, JsonObject problem) {
            super(status, problem);
        }
    }

    /** 404: the resource does not exist or is not visible to the caller. */
    public static final class NotFoundException extends FairQueueException {
        NotFoundException(int status, JsonObject problem) {
            super(status, problem);
        }
    }

    /** 409: the state forbids the change (invalid transition, existing name, ...); nothing changed. */
    public static class ConflictException extends FairQueueException {
        ConflictException(int status, JsonObject problem) {
            super(status, problem);
        }
    }

    /**
     * 409 {@code stale-lease} or {@code lease-revoked}: the job is no longer this worker's (it was
     * cancelled, paused, released or re-run). Stop and drop the result; never retry.
     */
    public static final class LeaseLostException extends ConflictException {
        LeaseLostException(int status, JsonObject problem) {
            super(status, problem);
        }
    }

    /** 503 {@code service-unavailable}: the server cannot reach its database; retry later. */
    public static final class ServiceUnavailableException extends FairQueueException {
        ServiceUnavailableException(int status, JsonObject problem) {
            super(status, problem);
        }
    }
}
