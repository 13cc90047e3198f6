package io.fairqueue.client;

import jakarta.json.JsonValue;

/**
 * One server-sent event of {@code GET /queue/events}: {@code counts} (a JSON object with
 * {@code counts}, {@code pending}, {@code active}) or {@code jobs} (an array of status changes),
 * with the highest audit row id it covers.
 */
public record QueueEvent(String event, String id, JsonValue data) {}
