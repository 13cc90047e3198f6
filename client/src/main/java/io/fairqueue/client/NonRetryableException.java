package io.fairqueue.client;

/**
 * Thrown by a handler to fail the job without a retry: it goes straight to FAILED (the dead-letter
 * queue), e.g. for a payload that can never succeed.
 */
public class NonRetryableException extends Exception {

    /** A non-retryable failure with its reason. */
    public NonRetryableException(String message) {
        super(message);
    }

    /** A non-retryable failure with its reason and cause. */
    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
