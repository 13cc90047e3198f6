package io.fairqueue.platform.problem;

import java.util.List;

/**
 * An RFC 9457 problem document. {@code type} is stable and documented in the README;
 * {@code field} names the offending input for 400s; {@code currentState} and
 * {@code allowedTargets} accompany 409s about a job's state.
 */
public record Problem(
        String type,
        String title,
        int status,
        String detail,
        String field,
        String currentState,
        List<String> allowedTargets) {

    public static final String TYPE_BASE = "https://fairqueue.io/problems/";
}
