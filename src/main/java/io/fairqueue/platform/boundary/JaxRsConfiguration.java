package io.fairqueue.platform.boundary;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Map;

/**
 * The REST API lives under {@code /api/v1}; resources and providers are discovered by scanning.
 * Jersey's generated WADL ({@code /api/v1/application.wadl}) is off: it listed every route,
 * the admin ones included, to any caller; the API is described at {@code /openapi}.
 */
@ApplicationPath("api/v1")
public class JaxRsConfiguration extends Application {

    @Override
    public Map<String, Object> getProperties() {
        return Map.of("jersey.config.server.wadl.disableWadl", Boolean.TRUE);
    }
}
