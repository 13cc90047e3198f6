package io.fairqueue.platform.control;

/**
 * The application's one datasource, as the code names it: {@link #JNDI}, a resource reference
 * ({@code WEB-INF/web.xml}) that stands for one of two things.
 *
 * <ul>
 *   <li><b>Built in</b> (the default, and all Payara Micro ever uses): the data-source
 *       {@link #BUILT_IN} defined in {@code WEB-INF/web.xml} (an annotation's pool size would be a
 *       compile-time constant). Its URL, user and password come from MicroProfile Config (env
 *       {@code FAIRQUEUE_DB_URL}, {@code FAIRQUEUE_DB_USER}, {@code FAIRQUEUE_DB_PASSWORD}), never
 *       from the WAR. At most {@code fairqueue.db.pool-size} connections (default 20); a request
 *       that finds them all busy waits at most {@code fairqueue.db.pool-wait-millis} (default
 *       3000) for one and then answers 503 ({@code Outages}, type service-unavailable), instead of
 *       queueing without bound. Connections are validated on checkout, at most once every 2 s each
 *       (a request checks out a connection several times: authentication, the service call, the
 *       answer's placement; a round trip of validation each time cost more than the work), so that
 *       a PostgreSQL restart costs a few failed requests, not a dead pool
 *       ({@code fail-all-connections}). {@code stringType=unspecified} lets text parameters fill
 *       {@code jsonb} columns. {@link CreatingDataSource} creates the database on first use if
 *       absent.
 *   <li><b>The server's</b>: when {@value #JNDI_KEY} (env {@code FAIRQUEUE_DATASOURCE_JNDI}) names a
 *       JDBC resource of a full Payara Server domain ({@code jdbc/fairqueue}, created by
 *       {@code server-config/payara-server/setup.asadmin} with the same pool settings), the
 *       reference, the persistence unit ({@code META-INF/persistence.xml}) and the LISTEN
 *       connection ({@link Notifications}) all use that resource, and the built-in data-source is
 *       never connected. Payara expands the {@code ${MPCONFIG=...}} placeholders of both
 *       descriptors when it reads them, at deployment.
 * </ul>
 */
public final class Database {

    /** What the code looks up: the reference of {@code WEB-INF/web.xml}. */
    public static final String JNDI = "java:comp/env/jdbc/fairqueue";

    /** The data-source defined in {@code WEB-INF/web.xml}. */
    public static final String BUILT_IN = "java:app/jdbc/fairqueue";

    /** The MicroProfile Config key naming a server JDBC resource to use instead of {@link #BUILT_IN}. */
    public static final String JNDI_KEY = "fairqueue.datasource.jndi";

    private Database() {}
}
