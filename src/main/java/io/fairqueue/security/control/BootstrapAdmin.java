package io.fairqueue.security.control;

import io.fairqueue.platform.control.Database;
import io.fairqueue.platform.control.Time;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Optional;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * On a start where no ADMIN exists, creates user {@code admin} with the token from
 * {@code fairqueue.bootstrap.admin-token}, or a generated one written once to the log.
 * An advisory lock makes simultaneous starts of several nodes create exactly one.
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@TransactionManagement(TransactionManagementType.BEAN)
public class BootstrapAdmin {

    private static final Logger LOG = Logger.getLogger(BootstrapAdmin.class.getName());
    private static final long LOCK_KEY = 0x4661697251756575L; // "FairQueu"
    static final int MIN_TOKEN_LENGTH = 16;

    @Resource(lookup = Database.JNDI)
    DataSource dataSource;

    @Inject
    @ConfigProperty(name = "fairqueue.bootstrap.admin-token")
    Optional<String> configuredToken;

    @Inject
    Clock clock;

    @PostConstruct
    void ensureAdmin() {
        configuredToken.filter(t -> t.length() < MIN_TOKEN_LENGTH).ifPresent(t -> {
            throw new IllegalStateException("fairqueue.bootstrap.admin-token must be at least "
                    + MIN_TOKEN_LENGTH + " characters");
        });
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
                try (ResultSet rs = s.executeQuery("SELECT 1 FROM fq_user WHERE role = 'ADMIN' LIMIT 1")) {
                    if (rs.next()) {
                        c.commit();
                        return;
                    }
                }
            }
            String id = freeAdminId(c);
            String token = configuredToken.orElseGet(Tokens::generate);
            try (PreparedStatement u = c.prepareStatement(
                    "INSERT INTO fq_user (id, display_name, role, max_concurrent, created_at) VALUES (?, 'Administrator', 'ADMIN', 1, ?)");
                    PreparedStatement t = c.prepareStatement(
                            "INSERT INTO api_token (token_hash, user_id, created_at) VALUES (?, ?, ?)")) {
                u.setString(1, id);
                u.setObject(2, Time.now(clock));
                u.executeUpdate();
                t.setString(1, Tokens.hash(token));
                t.setString(2, id);
                t.setObject(3, Time.now(clock));
                t.executeUpdate();
            }
            c.commit();
            if (configuredToken.isPresent()) {
                LOG.info("FairQueue: created admin user '" + id + "' with the token from FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN");
            } else {
                LOG.warning("FairQueue: created admin user '" + id + "'. Its token is shown this once; store it now:\n\n    "
                        + token + "\n");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot bootstrap the admin user: " + e.getMessage(), e);
        }
    }

    private static String freeAdminId(Connection c) throws SQLException {
        String id = "admin";
        for (int n = 2; ; n++) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM fq_user WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return id;
                    }
                }
            }
            id = "admin" + n;
        }
    }
}
