package io.fairqueue.client;

/**
 * Runs one job of a registered type. The payload arrives as the type the handler was registered
 * with (a record, a {@code JsonObject}, ...); the returned object is the job's result (null for
 * none), written with JSON-B. Throwing fails the attempt: retryable, unless the exception is a
 * {@link NonRetryableException} or a type declared non-retryable on the worker.
 *
 * <p>A handler should watch {@link JobContext#isStopped()} (or react to the interrupt it gets):
 * when the job is cancelled, paused or its lease is lost, its result is dropped in any case.
 *
 * @param <T> the payload's type
 */
@FunctionalInterface
public interface JobHandler<T> {

    /** Does the job's work and answers its result. */
    Object handle(T payload, JobContext context) throws Exception;
}
