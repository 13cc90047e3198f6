package io.fairqueue.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fairqueue.client.ApiClient;
import io.fairqueue.client.ApiException;
import io.fairqueue.client.api.ClaimsApi;
import io.fairqueue.client.api.JobsApi;
import io.fairqueue.client.api.UsersApi;
import io.fairqueue.client.api.WorkerProtocolApi;
import io.fairqueue.client.api.WorkersApi;
import io.fairqueue.client.model.Claim;
import io.fairqueue.client.model.ClaimedJob;
import io.fairqueue.client.model.Complete;
import io.fairqueue.client.model.CreateUser;
import io.fairqueue.client.model.Heartbeat;
import io.fairqueue.client.model.Job;
import io.fairqueue.client.model.JobStatus;
import io.fairqueue.client.model.Lease;
import io.fairqueue.client.model.Priority;
import io.fairqueue.client.model.Problem;
import io.fairqueue.client.model.RegisterWorker;
import io.fairqueue.client.model.Role;
import io.fairqueue.client.model.SubmitJob;
import io.fairqueue.client.model.Tier;
import io.fairqueue.client.model.Transition;
import io.fairqueue.client.model.Worker;
import io.fairqueue.it.support.Api;
import io.fairqueue.it.support.ApiTestBase;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The API contract as integrators get it: {@code /openapi} serves the repository's
 * {@code openapi.yaml} unchanged, as valid OpenAPI 3.0, in YAML or JSON; and a client generated
 * from it (openapi-generator, Java {@code native}, in the build) runs the README's walk-through.
 */
class OpenApiIT extends ApiTestBase {

    static byte[] repositoryDocument() throws IOException {
        try (InputStream in = OpenApiIT.class.getClassLoader().getResourceAsStream("META-INF/openapi.yaml")) {
            assertNotNull(in, "META-INF/openapi.yaml on the test class path");
            return in.readAllBytes();
        }
    }

    static List<String> openApiMessages(String document) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIParser().readContents(document, null, options);
        assertNotNull(result.getOpenAPI(), "parsed: " + result.getMessages());
        assertTrue(
                result.getOpenAPI().getOpenapi().startsWith("3.0."),
                result.getOpenAPI().getOpenapi());
        return result.getMessages();
    }

    @Test
    void the_served_document_is_valid_openapi_3_0_as_yaml_and_as_json() {
        Api anonymous = admin.as(null);
        Api.Res yaml = anonymous.get("/openapi");
        assertEquals(200, yaml.status());
        assertEquals("application/yaml", yaml.contentType().split(";")[0]);
        assertEquals(List.of(), openApiMessages(yaml.body()), "the served YAML validates");

        Api.Res json = anonymous.get("/openapi?format=json");
        assertEquals(200, json.status());
        assertEquals("application/json", json.contentType().split(";")[0]);
        assertEquals(List.of(), openApiMessages(json.body()), "the served JSON validates");
    }

    @Test
    void the_served_document_is_the_repository_file_unchanged() throws IOException {
        byte[] file = repositoryDocument();
        Api.Res yaml = admin.as(null).get("/openapi");
        assertEquals(new String(file, java.nio.charset.StandardCharsets.UTF_8), yaml.body(), "byte for byte");

        JsonNode fromFile = new YAMLMapper().readTree(file);
        JsonNode served = new ObjectMapper()
                .readTree(admin.as(null)
                        .send("GET", "/openapi", null, Map.of("Accept", "application/json"))
                        .body());
        assertEquals(fromFile, served, "the JSON form holds the same document");
        assertFalse(served.has("endpoints"), "no member outside OpenAPI at the top level");
    }

    @Test
    void the_document_is_negotiated_and_anything_else_is_a_problem() {
        Api anonymous = admin.as(null);
        assertEquals(
                "application/yaml",
                anonymous
                        .send("GET", "/openapi", null, Map.of("Accept", "application/json;q=0.5, application/yaml"))
                        .contentType()
                        .split(";")[0]);
        assertEquals(
                "application/yaml",
                anonymous
                        .send("GET", "/openapi", null, Map.of("Accept", "text/html, */*;q=0.8"))
                        .contentType()
                        .split(";")[0]);
        Api.Res refused = anonymous.send("GET", "/openapi", null, Map.of("Accept", "text/html"));
        assertEquals(406, refused.status());
        assertTrue(refused.contentType().startsWith("application/problem+json"), refused.contentType());
        Api.Res nothing = anonymous.get("/openapi/nothing");
        assertEquals(404, nothing.status());
        assertTrue(nothing.contentType().startsWith("application/problem+json"), nothing.contentType());
    }

    /** A client of the generated API as the caller with {@code token} (a bearer token on every request). */
    ApiClient client(String token) {
        ApiClient c = new ApiClient();
        c.updateBaseUri("http://127.0.0.1:" + url.getPort());
        c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
        return c;
    }

    Problem problem(ApiClient c, ApiException e) throws IOException {
        return c.getObjectMapper().readValue(e.getResponseBody(), Problem.class);
    }

    @Test
    void the_readme_walk_through_runs_through_the_generated_client() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        UsersApi users = new UsersApi(client(Api.ADMIN_TOKEN));
        String alice = users.createUser(new CreateUser()
                        .id("alice-" + suffix)
                        .displayName("Alice")
                        .role(Role.USER))
                .getToken();
        String worker = users.createUser(new CreateUser()
                        .id("gpu-fleet-" + suffix)
                        .displayName("GPU fleet")
                        .role(Role.WORKER))
                .getToken();

        ApiClient asAlice = client(alice);
        JobsApi alicesJobs = new JobsApi(asAlice);
        Job submitted = alicesJobs.submitJob(
                new SubmitJob()
                        .type("render")
                        .payload(Map.of("scene", "intro", "frames", 240))
                        .priority(new Priority(Tier.URGENT)),
                "render-42-" + suffix);
        assertEquals(JobStatus.PENDING, submitted.getStatus());
        assertEquals(Tier.URGENT, submitted.getTier());
        assertEquals(10, submitted.getPriority());
        assertNotNull(submitted.getWaitingReason(), "a PENDING job says why it waits");

        ApiClient asWorker = client(worker);
        Worker registered = new WorkersApi(asWorker)
                .registerWorker(new RegisterWorker().name("gpu-1").capacity(2));
        List<ClaimedJob> claimed = new ClaimsApi(asWorker)
                .claimJobs(new Claim().workerId(registered.getId()).limit(1).userId("alice-" + suffix));
        assertEquals(1, claimed.size());
        assertEquals(submitted.getId(), claimed.get(0).getId());
        String lease = claimed.get(0).getLeaseToken();

        WorkerProtocolApi protocol = new WorkerProtocolApi(asWorker);
        long id = submitted.getId();
        assertEquals(
                JobStatus.RUNNING,
                protocol.startJob(id, new Lease().leaseToken(lease)).getStatus());
        Heartbeat beat = protocol.heartbeatJob(id, new Lease().leaseToken(lease));
        assertFalse(beat.getCancelRequested());
        assertNotNull(beat.getLeaseExpiresAt());
        Job done = protocol.completeJob(
                id, new Complete().leaseToken(lease).result(Map.of("url", "s3://renders/intro.mp4")));
        assertEquals(JobStatus.COMPLETED, done.getStatus());

        Job seen = alicesJobs.getJob(id);
        assertEquals(JobStatus.COMPLETED, seen.getStatus());
        assertEquals(Map.of("url", "s3://renders/intro.mp4"), seen.getResult());
        List<Transition> log = alicesJobs.listJobTransitions(id);
        assertEquals(
                List.of(JobStatus.PENDING, JobStatus.DISPATCHED, JobStatus.RUNNING, JobStatus.COMPLETED),
                log.stream().map(Transition::getTo).toList());

        // errors arrive as problem documents the client reads as a typed object
        ApiException again =
                assertThrows(ApiException.class, () -> protocol.completeJob(id, new Complete().leaseToken(lease)));
        assertEquals(409, again.getCode());
        Problem conflict = problem(asWorker, again);
        assertEquals(409, conflict.getStatus());
        assertTrue(conflict.getType().toString().startsWith("https://fairqueue.io/problems/"), conflict.toString());
        assertEquals(JobStatus.COMPLETED, conflict.getCurrentState());

        ApiException missing = assertThrows(ApiException.class, () -> alicesJobs.getJob(Long.MAX_VALUE));
        assertEquals(404, missing.getCode());
        assertEquals(
                "https://fairqueue.io/problems/not-found",
                problem(asAlice, missing).getType().toString());

        ApiException anonymous =
                assertThrows(ApiException.class, () -> new JobsApi(client("fq_not-a-token")).getJob(id));
        assertEquals(401, anonymous.getCode());
        assertEquals(
                "unauthorized", problem(asAlice, anonymous).getType().getPath().replaceAll(".*/", ""));
    }
}
