package io.fairqueue.platform.json;

/**
 * Marks a request body record. Each one has {@code public static T from(JsonFields body)}, which
 * reads and type-checks its fields; {@link RequestBodyReader} then runs Bean Validation on it.
 */
public interface JsonRequest {}
