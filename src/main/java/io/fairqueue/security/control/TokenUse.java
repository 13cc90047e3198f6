package io.fairqueue.security.control;

import io.fairqueue.platform.control.Database;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Records a token's {@code last_used_at}, at most once a minute per token ({@link KnownToken#useDueAt}
 * decides in memory; the statement's own condition keeps concurrent requests and other nodes from
 * writing it twice in a minute). It runs in the authentication path, before the request's own work,
 * so it must never fail the request nor hold it up: one autocommitted statement of its own (no
 * transaction of the request to join or to roll back), which skips a row another transaction holds
 * (a revocation in flight) instead of waiting for it, and whose failure is only logged. The column
 * is outside the token table's change trigger (token_ids_and_revocation), so this write does not
 * drop any node's cached callers.
 */
@ApplicationScoped
public class TokenUse {

    private static final Logger LOG = Logger.getLogger(TokenUse.class.getName());

    static final String RECORD = """
            UPDATE api_token SET last_used_at = ?
             WHERE id = (SELECT id FROM api_token
                          WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)
                          FOR UPDATE SKIP LOCKED)""";

    @Resource(lookup = Database.JNDI)
    DataSource dataSource;

    public void record(long tokenId, Instant now) {
        OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement(RECORD)) {
                ps.setObject(1, at);
                ps.setLong(2, tokenId);
                ps.setObject(3, at.minus(KnownToken.USE_RECORDED_EVERY));
                ps.executeUpdate();
            }
        } catch (SQLException | RuntimeException e) {
            // the request goes on: a missed lastUsedAt is recorded on the token's next use
            LOG.log(
                    Level.FINE,
                    "lastUsedAt of token " + tokenId + " not recorded (SQL state "
                            + (e instanceof SQLException s
                                    ? s.getSQLState()
                                    : e.getClass().getSimpleName()) + ")");
        }
    }
}
