package io.fairqueue.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The response check itself: what it lets through and what it catches (ApiContract). */
class ApiContractTest {

    static final String JOB =
            "{\"id\":7,\"queue\":\"default\",\"userId\":\"alice\",\"type\":\"render\",\"priority\":10,"
                    + "\"tier\":\"URGENT\",\"status\":\"PENDING\",\"offPeakOnly\":false,\"attempts\":0,\"maxRetries\":3,"
                    + "\"createdAt\":\"2026-01-31T22:00:00Z\"";
    static final String PROBLEM_404 =
            "{\"type\":\"https://fairqueue.io/problems/not-found\",\"title\":\"Not found\",\"status\":404}";

    final ApiContract contract = ApiContract.get();

    List<String> getJob(int status, String contentType, String body) {
        return contract.violations("GET", "/api/v1/jobs/7", status, contentType, body);
    }

    @Test
    void a_job_as_documented_conforms() {
        assertEquals(
                List.of(), getJob(200, "application/json", JOB + ",\"position\":1,\"waitingReason\":\"USER_LIMIT\"}"));
        assertEquals(List.of(), getJob(404, "application/problem+json", PROBLEM_404));
    }

    @Test
    void an_undocumented_member_fails() {
        assertViolation(getJob(200, "application/json", JOB + ",\"secret\":1}"), "secret");
    }

    @Test
    void a_missing_required_member_fails() {
        assertViolation(getJob(200, "application/json", JOB.replace("\"tier\":\"URGENT\",", "") + "}"), "tier");
    }

    @Test
    void a_wrong_type_or_format_fails() {
        assertViolation(getJob(200, "application/json", JOB.replace("\"id\":7", "\"id\":\"7\"") + "}"), "id");
        assertViolation(
                getJob(200, "application/json", JOB.replace("\"priority\":10", "\"priority\":4294967296") + "}"),
                "priority");
        assertViolation(getJob(200, "application/json", JOB + ",\"claimedAt\":\"yesterday\"}"), "claimedAt");
        assertViolation(getJob(200, "application/json", JOB + ",\"waitingReason\":\"BORED\"}"), "waitingReason");
    }

    @Test
    void an_undocumented_status_or_media_type_fails() {
        assertViolation(getJob(418, "application/problem+json", PROBLEM_404), "418");
        assertViolation(getJob(404, "text/html", "<html></html>"), "text/html");
        assertViolation(getJob(404, "application/problem+json", "{\"status\":404}"), "type");
    }

    @Test
    void a_composed_schema_is_closed_too() {
        String claimed = "[" + JOB.replace("PENDING", "DISPATCHED")
                + ",\"leaseToken\":\"t\",\"leaseExpiresAt\":\"2026-01-31T22:01:00Z\",\"workerId\":\"w\","
                + "\"claimedAt\":\"2026-01-31T22:00:00Z\"}]";
        assertEquals(List.of(), contract.violations("POST", "/api/v1/claims", 200, "application/json", claimed));
        assertViolation(
                contract.violations(
                        "POST",
                        "/api/v1/claims",
                        200,
                        "application/json",
                        claimed.replace("\"leaseToken\"", "\"lease\"")),
                "leaseToken");
    }

    @Test
    void a_concrete_path_wins_over_a_template() {
        assertEquals(
                List.of(),
                contract.violations(
                        "POST",
                        "/api/v1/jobs/batch",
                        201,
                        "application/json",
                        "[{\"job\":" + JOB + "},\"created\":true}]"));
    }

    @Test
    void an_undocumented_path_or_method_must_answer_a_problem() {
        assertEquals(
                List.of(), contract.violations("GET", "/api/v1/nothing", 404, "application/problem+json", PROBLEM_404));
        assertViolation(
                contract.violations("GET", "/api/v1/nothing", 200, "application/json", "{}"), "not in the document");
        assertViolation(contract.violations("DELETE", "/api/v1/queues", 405, "text/html", "<html/>"), "text/html");
    }

    @Test
    void requests_the_server_accepts_are_valid_by_the_published_schemas() throws Exception {
        assertEquals(
                List.of(),
                contract.requestViolations(
                        "POST",
                        "/api/v1/jobs/batch",
                        "{\"jobs\":[{\"type\":\"render\",\"priority\":\"URGENT\",\"idempotencyKey\":\"k1\"},"
                                + "{\"type\":\"render\",\"priority\":-5,\"payload\":{\"a\":[1]}}]}"));
        assertEquals(
                List.of(),
                contract.requestViolations(
                        "PUT", "/api/v1/admin/queue/reorder", "{\"jobId\":7,\"priority\":\"BACKGROUND\"}"));
        assertViolation(
                contract.requestViolations("POST", "/api/v1/jobs", "{\"type\":\"render\",\"idempotencyKey\":\"k1\"}"),
                "idempotencyKey");
        assertViolation(
                contract.requestViolations("POST", "/api/v1/jobs", "{\"type\":\"render\",\"priority\":101}"),
                "priority");
    }

    static void assertViolation(List<String> found, String mentioning) {
        assertTrue(
                !found.isEmpty() && String.join("\n", found).contains(mentioning),
                "expected a violation naming '" + mentioning + "', found: " + found);
    }
}
