package io.fairqueue.platform.boundary;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Serves the API's OpenAPI 3.0 document, the hand-written {@code META-INF/openapi.yaml}, byte for
 * byte as YAML ({@code application/yaml}, the default) or converted to JSON
 * ({@code application/json}, for {@code ?format=json} or an {@code Accept} that prefers it).
 *
 * <p>Payara's own {@code /openapi} rewrites the document it serves and adds a top-level
 * {@code endpoints} member that OpenAPI does not allow (payara/Payara#7891), so generators refuse
 * what integrators download; no configuration turns that off. This servlet takes the
 * {@code /openapi} mappings in the WAR, so Payara's servlet (which it adds to the root context
 * at {@code /openapi/*}) never gets them, and {@code server-config/pre-boot-commands.asadmin}
 * switches Payara's OpenAPI service off. No token is needed.
 */
@WebServlet(
        urlPatterns = {"/openapi", "/openapi/*"},
        loadOnStartup = 1)
public class OpenApiServlet extends HttpServlet {

    static final String DOCUMENT = "META-INF/openapi.yaml";
    static final String YAML = "application/yaml";
    static final String JSON = "application/json";

    private static final long serialVersionUID = 1L;

    private transient byte[] yaml;
    private transient byte[] json;

    @Override
    public void init() throws ServletException {
        try (InputStream in = OpenApiServlet.class.getClassLoader().getResourceAsStream(DOCUMENT)) {
            if (in == null) {
                throw new ServletException(DOCUMENT + " is missing from the WAR");
            }
            yaml = in.readAllBytes();
        } catch (IOException e) {
            throw new ServletException(e);
        }
        json = toJson(new String(yaml, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String rest = request.getPathInfo();
        if (rest != null && !rest.equals("/")) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        String type = negotiate(request.getParameter("format"), request.getHeader("Accept"));
        if (type == null) {
            response.sendError(HttpServletResponse.SC_NOT_ACCEPTABLE);
            return;
        }
        byte[] body = type.equals(JSON) ? json : yaml;
        response.setContentType(type + ";charset=UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /**
     * {@code format} ({@code json} or {@code yaml}) decides; otherwise the media type the
     * {@code Accept} header ranks higher (YAML on a tie, and when there is no header); null when
     * it accepts neither.
     */
    static String negotiate(String format, String accept) {
        if (format != null) {
            return switch (format.toLowerCase(Locale.ROOT)) {
                case "json" -> JSON;
                case "yaml", "yml" -> YAML;
                default -> null;
            };
        }
        if (accept == null || accept.isBlank()) {
            return YAML;
        }
        double yamlQ = 0;
        double jsonQ = 0;
        for (String range : accept.split(",")) {
            String[] parts = range.trim().split(";");
            String media = parts[0].trim().toLowerCase(Locale.ROOT);
            double q = quality(parts);
            switch (media) {
                case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml" -> yamlQ = Math.max(yamlQ, q);
                case "application/json" -> jsonQ = Math.max(jsonQ, q);
                case "*/*", "application/*" -> {
                    yamlQ = Math.max(yamlQ, q);
                    jsonQ = Math.max(jsonQ, q);
                }
                case "text/*" -> yamlQ = Math.max(yamlQ, q);
                default -> {}
            }
        }
        if (yamlQ == 0 && jsonQ == 0) {
            return null;
        }
        return jsonQ > yamlQ ? JSON : YAML;
    }

    private static double quality(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            if (p.startsWith("q=")) {
                try {
                    return Double.parseDouble(p.substring(2));
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }

    /** The YAML document as JSON: YAML 1.2's core schema, so {@code 2026-01-31} stays a string. */
    static String toJson(String yamlText) {
        Object tree = new Load(LoadSettings.builder().build()).loadFromString(yamlText);
        StringWriter out = new StringWriter();
        try (var writer = Json.createWriter(out)) {
            writer.write(value(tree));
        }
        return out.toString();
    }

    private static JsonValue value(Object node) {
        if (node == null) {
            return JsonValue.NULL;
        }
        if (node instanceof Map<?, ?> map) {
            JsonObjectBuilder o = Json.createObjectBuilder();
            map.forEach((k, v) -> o.add(String.valueOf(k), value(v)));
            return o.build();
        }
        if (node instanceof List<?> list) {
            JsonArrayBuilder a = Json.createArrayBuilder();
            list.forEach(v -> a.add(value(v)));
            return a.build();
        }
        if (node instanceof Boolean b) {
            return b ? JsonValue.TRUE : JsonValue.FALSE;
        }
        if (node instanceof Integer || node instanceof Long) {
            return Json.createValue(((Number) node).longValue());
        }
        if (node instanceof BigInteger big) {
            return Json.createValue(big);
        }
        if (node instanceof Number number) {
            return Json.createValue(new BigDecimal(number.toString()));
        }
        return Json.createValue(String.valueOf(node));
    }
}
