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
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * On a start where no ADMIN holds a valid token (none exists, or every ADMIN token has expired or
 * was deleted by hand), creates an ADMIN user ({@code admin}, or {@code admin2}, ... when taken)
 * with the token from {@code fairqueue.bootstrap.admin-token}, or a generated one written once to
 * the log. {@link AdminGuard}'s advisory lock makes simultaneous starts of several nodes create
 * exactly one.
 *
 * <p>The configured token may already be stored for another user (a database where the last ADMIN
 * was demoted by hand, or by a version that allowed it): it is then moved to the new ADMIN, as the
 * operator's configuration says whose it is, and a warning names the user it was taken from. Nothing
 * here logs a token or its hash, except a generated token, once.
 */
@Singleton
@Startup
@DependsOn("SchemaMigration")
@TransactionManagement(TransactionManagementType.BEAN)
public class BootstrapAdmin {

    private static final Logger LOG = Logger.getLogger(BootstrapAdmin.class.getName());
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
            throw new IllegalStateException(
                    "fairqueue.bootstrap.admin-token must be at least " + MIN_TOKEN_LENGTH + " characters");
        });
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                bootstrap(c);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            // neither the message nor the cause: PostgreSQL's detail of a key violation quotes the key
            throw new IllegalStateException("cannot bootstrap the admin user (SQL state " + e.getSQLState() + ")");
        }
    }

    private void bootstrap(Connection c) throws SQLException {
        OffsetDateTime now = Time.now(clock);
        try (PreparedStatement lock = c.prepareStatement("SELECT 1 FROM pg_advisory_xact_lock(?)")) {
            lock.setLong(1, AdminGuard.LOCK_KEY);
            lock.executeQuery().close();
        }
        if (adminTokenExists(c, now)) {
            c.commit();
            return;
        }
        String token = configuredToken.orElseGet(Tokens::generate);
        Optional<String> formerOwner = takeBack(c, Tokens.hash(token));
        String id = freeAdminId(c);
        create(c, id, Tokens.hash(token), now);
        c.commit();
        formerOwner.ifPresent(owner -> LOG.warning("FairQueue: the token of FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN was stored"
                + " for user '" + owner + "' (not as a valid ADMIN token); it now belongs to the new admin user '" + id
                + "' only"));
        if (configuredToken.isPresent()) {
            LOG.info("FairQueue: no ADMIN held a valid token; created admin user '" + id
                    + "' with the token from FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN");
        } else {
            LOG.warning("FairQueue: no ADMIN held a valid token; created admin user '" + id
                    + "'. Its token is shown this once; store it now:\n\n    " + token + "\n");
        }
    }

    private static boolean adminTokenExists(Connection c, OffsetDateTime now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(AdminGuard.OTHER_ADMIN_TOKEN)) {
            ps.setString(1, "");
            ps.setLong(2, -1);
            ps.setObject(3, now);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Deletes the stored token of this hash, if any (it cannot be an ADMIN's valid one); answers its owner. */
    private static Optional<String> takeBack(Connection c, String hash) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM api_token WHERE token_hash = ? RETURNING user_id")) {
            ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private static void create(Connection c, String id, String hash, OffsetDateTime now) throws SQLException {
        try (PreparedStatement u = c.prepareStatement(
                        "INSERT INTO fq_user (id, display_name, role, max_concurrent, created_at) VALUES (?, 'Administrator', 'ADMIN', 1, ?)");
                PreparedStatement t = c.prepareStatement(
                        "INSERT INTO api_token (token_hash, user_id, name, created_at) VALUES (?, ?, 'bootstrap', ?)")) {
            u.setString(1, id);
            u.setObject(2, now);
            u.executeUpdate();
            t.setString(1, hash);
            t.setString(2, id);
            t.setObject(3, now);
            t.executeUpdate();
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
