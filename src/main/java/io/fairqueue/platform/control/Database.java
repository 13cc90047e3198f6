package io.fairqueue.platform.control;

/**
 * The application's one datasource, defined in {@code WEB-INF/web.xml} (an annotation's pool size
 * would be a compile-time constant). Its URL, user and password come from MicroProfile Config
 * (env {@code FAIRQUEUE_DB_URL}, {@code FAIRQUEUE_DB_USER}, {@code FAIRQUEUE_DB_PASSWORD}), never
 * from the WAR. At most {@code fairqueue.db.pool-size} connections (default 20); a request that
 * finds them all busy waits at most {@code fairqueue.db.pool-wait-millis} (default 3000) for one
 * and then answers 503 ({@code Outages}, type service-unavailable), instead of queueing without bound. Connections are validated on checkout, at most once every 2 s each (a request
 * checks out a connection several times: authentication, the service call, the answer's
 * placement; a round trip of validation each time cost more than the work), so that a PostgreSQL
 * restart costs a few failed requests, not a dead pool ({@code fail-all-connections}). {@code stringType=unspecified} lets text parameters fill
 * {@code jsonb} columns. {@link CreatingDataSource} creates the database on first use if absent.
 */
public final class Database {

    public static final String JNDI = "java:app/jdbc/fairqueue";

    private Database() {}
}
