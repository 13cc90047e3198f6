package io.fairqueue.platform.control;

import com.fasterxml.jackson.databind.type.TypeFactory;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Runs first (the datasource has created the database if it was absent): migrates the schema with
 * Flyway before anything touches it. Flyway's advisory lock makes simultaneous starts of several
 * nodes safe. Everything else that needs the schema {@code @DependsOn} this bean.
 *
 * <p>Two locations: {@code db/migration/V*.sql} change tables, types, indexes and triggers, each
 * applied once and never edited; {@code db/functions/R__*.sql} hold the current body of every
 * function, one file per concern, edited in place and applied again (after the versioned ones)
 * whenever one changes. {@code db/schema.sql} is the resulting schema, checked by {@code SchemaIT}.
 */
@Singleton
@Startup
@TransactionManagement(TransactionManagementType.BEAN)
public class SchemaMigration {

    private static final Logger LOG = Logger.getLogger(SchemaMigration.class.getName());

    /** Where Flyway finds the migrations; tests that migrate a database of their own use it too. */
    public static final String[] LOCATIONS = {"classpath:db/migration", "classpath:db/functions"};

    @Resource(lookup = Database.JNDI)
    DataSource dataSource;

    /**
     * At undeploy: Flyway maps its configuration with Jackson, and on a full Payara Server that is
     * the server's Jackson (the WAR's classloader asks its parent first), whose shared
     * {@code TypeFactory} caches the Flyway classes it saw, each of which holds this deployment's
     * classloader for as long as the server runs. Emptying the cache lets the old deployment go
     * (found by a heap dump after five redeploys; PayaraServerIT counts the classloaders).
     */
    @PreDestroy
    void forgetFlywayTypes() {
        TypeFactory.defaultInstance().clearCache();
    }

    @PostConstruct
    void migrate() {
        Flyway flyway = Flyway.configure(getClass().getClassLoader())
                .dataSource(dataSource)
                .locations(LOCATIONS)
                .load();
        MigrateResult result = flyway.migrate();
        LOG.info("Schema at version " + flyway.info().current().getVersion() + " (" + result.migrationsExecuted
                + " migrations applied now)");
    }
}
