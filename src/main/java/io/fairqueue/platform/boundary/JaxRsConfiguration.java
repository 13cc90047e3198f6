package io.fairqueue.platform.boundary;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST API lives under {@code /api/v1}; resources and providers are discovered by scanning. */
@ApplicationPath("api/v1")
public class JaxRsConfiguration extends Application {
}
