package io.fairqueue.platform.control;

import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ejb.Singleton;

/**
 * The application's one datasource. Its URL, user and password come from MicroProfile Config
 * (env {@code FAIRQUEUE_DB_URL}, {@code FAIRQUEUE_DB_USER}, {@code FAIRQUEUE_DB_PASSWORD}), never
 * from the WAR. Connections are validated on checkout, at most once every 2 s each (a request
 * checks out a connection several times: authentication, the service call, the answer's
 * placement; a round trip of validation each time cost more than the work), so that a PostgreSQL
 * restart costs a few failed requests, not a dead pool ({@code fail-all-connections}). {@code stringType=unspecified} lets text parameters fill
 * {@code jsonb} columns. {@link CreatingDataSource} creates the database on first use if absent.
 */
@Singleton
@DataSourceDefinition(
        name = Database.JNDI,
        className = "io.fairqueue.platform.control.CreatingDataSource",
        url = "${MPCONFIG=fairqueue.db.url}",
        user = "${MPCONFIG=fairqueue.db.user}",
        password = "${MPCONFIG=fairqueue.db.password}",
        initialPoolSize = 0,
        minPoolSize = 0,
        maxPoolSize = 32,
        maxIdleTime = 300,
        properties = {
            "stringType=unspecified",
            "ApplicationName=fairqueue",
            "fish.payara.is-connection-validation-required=true",
            "fish.payara.validate-atmost-once-period-in-seconds=2",
            "fish.payara.connection-validation-method=custom-validation",
            "fish.payara.validation-classname=org.glassfish.api.jdbc.validation.PostgresConnectionValidation",
            "fish.payara.fail-all-connections=true",
            "fish.payara.max-wait-time-in-millis=10000"
        })
public class Database {

    public static final String JNDI = "java:app/jdbc/fairqueue";
}
