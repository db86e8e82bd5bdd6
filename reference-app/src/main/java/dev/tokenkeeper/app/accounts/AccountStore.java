package dev.tokenkeeper.app.accounts;

import dev.tokenkeeper.tokens.Role;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/** The SQL of users, sessions and refresh tokens. Every method is one statement or one transaction. */
@Component
public class AccountStore {
    private static final String USER_COLUMNS = "id, tenant_id, username, role, disabled, created_at, updated_at";

    private final Jdbi jdbi;

    public AccountStore(AppDatabase db) {
        this.jdbi = db.jdbi();
    }

    /** A user together with the hash of their password, for a login. */
    record Credentials(User user, String passwordHash) {}

    /** What an access token's session resolves to: the live session's user. */
    record LiveSession(String sessionId, User user) {}

    static User user(ResultSet rs, StatementContext ctx) throws SQLException {
        return new User(
                rs.getString("id"),
                rs.getString("tenant_id"),
                rs.getString("username"),
                Role.valueOf(rs.getString("role")),
                rs.getInt("disabled") != 0,
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }

    static String key(String username) {
        return username.toLowerCase(Locale.ROOT);
    }

    <T> T inTransaction(org.jdbi.v3.core.HandleCallback<T, RuntimeException> work) {
        return jdbi.inTransaction(work);
    }

    // ---- users

    long countUsers() {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM app_users")
                .mapTo(Long.class)
                .one());
    }

    /** Inserts a user; false when the user name is taken. */
    boolean insertUser(User u, String passwordHash) {
        return jdbi.inTransaction(h -> {
            boolean taken = h.createQuery("SELECT 1 FROM app_users WHERE username_key = :key")
                    .bind("key", key(u.username()))
                    .mapTo(Integer.class)
                    .findOne()
                    .isPresent();
            if (taken) {
                return false;
            }
            h.createUpdate("INSERT INTO app_users (id, tenant_id, username, username_key, password_hash, role,"
                            + " disabled, created_at, updated_at) VALUES (:id, :tenant, :username, :key, :hash,"
                            + " :role, :disabled, :created, :updated)")
                    .bind("id", u.id())
                    .bind("tenant", u.tenantId())
                    .bind("username", u.username())
                    .bind("key", key(u.username()))
                    .bind("hash", passwordHash)
                    .bind("role", u.role().name())
                    .bind("disabled", u.disabled() ? 1 : 0)
                    .bind("created", u.createdAt().toEpochMilli())
                    .bind("updated", u.updatedAt().toEpochMilli())
                    .execute();
            return true;
        });
    }

    Optional<User> findUser(String tenantId, String id) {
        return jdbi.withHandle(
                h -> h.createQuery("SELECT " + USER_COLUMNS + " FROM app_users WHERE id = :id AND tenant_id = :tenant")
                        .bind("id", id)
                        .bind("tenant", tenantId)
                        .map(AccountStore::user)
                        .findOne());
    }

    Optional<Credentials> credentials(String username) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT " + USER_COLUMNS + ", password_hash FROM app_users WHERE username_key = :key")
                .bind("key", key(username))
                .map((rs, ctx) -> new Credentials(user(rs, ctx), rs.getString("password_hash")))
                .findOne());
    }

    Optional<String> passwordHash(String userId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT password_hash FROM app_users WHERE id = :id")
                .bind("id", userId)
                .mapTo(String.class)
                .findOne());
    }

    /** A page of the tenant's users by id, after {@code afterId}. */
    List<User> listUsers(String tenantId, @Nullable String afterId, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + USER_COLUMNS + " FROM app_users WHERE tenant_id = :tenant"
                        + (afterId == null ? "" : " AND id > :after") + " ORDER BY id LIMIT :limit")
                .bind("tenant", tenantId)
                .bind("after", afterId)
                .bind("limit", limit)
                .map(AccountStore::user)
                .list());
    }

    long countUsers(String tenantId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM app_users WHERE tenant_id = :tenant")
                .bind("tenant", tenantId)
                .mapTo(Long.class)
                .one());
    }

    /** Sets the given columns of a user; ends their sessions in the same transaction when asked. */
    void updateUser(
            String id,
            @Nullable Role role,
            @Nullable Boolean disabled,
            @Nullable String passwordHash,
            Instant now,
            @Nullable String endSessionsExcept,
            boolean endSessions,
            String endReason) {
        jdbi.useTransaction(h -> {
            StringBuilder sql = new StringBuilder("UPDATE app_users SET updated_at = :now");
            if (role != null) {
                sql.append(", role = :role");
            }
            if (disabled != null) {
                sql.append(", disabled = :disabled");
            }
            if (passwordHash != null) {
                sql.append(", password_hash = :hash");
            }
            h.createUpdate(sql + " WHERE id = :id")
                    .bind("now", now.toEpochMilli())
                    .bind("role", role == null ? null : role.name())
                    .bind("disabled", disabled == null ? null : disabled ? 1 : 0)
                    .bind("hash", passwordHash)
                    .bind("id", id)
                    .execute();
            if (endSessions) {
                endSessions(h, id, endSessionsExcept, now, endReason);
            }
        });
    }

    boolean deleteUser(String tenantId, String id) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM app_users WHERE id = :id AND tenant_id = :tenant")
                        .bind("id", id)
                        .bind("tenant", tenantId)
                        .execute())
                == 1;
    }

    // ---- sessions

    void insertSession(String sessionId, String userId, Instant now, Instant expiresAt, String refreshHash) {
        jdbi.useTransaction(h -> {
            h.createUpdate("INSERT INTO app_sessions (id, user_id, created_at, expires_at) VALUES (:id, :user,"
                            + " :now, :expires)")
                    .bind("id", sessionId)
                    .bind("user", userId)
                    .bind("now", now.toEpochMilli())
                    .bind("expires", expiresAt.toEpochMilli())
                    .execute();
            insertRefresh(h, refreshHash, sessionId, now);
        });
    }

    static void insertRefresh(Handle h, String hash, String sessionId, Instant now) {
        h.createUpdate("INSERT INTO app_refresh_tokens (token_hash, session_id, issued_at) VALUES (:hash,"
                        + " :session, :now)")
                .bind("hash", hash)
                .bind("session", sessionId)
                .bind("now", now.toEpochMilli())
                .execute();
    }

    /** The user of a session that is neither ended nor expired, whose user is not disabled. */
    Optional<LiveSession> liveSession(String sessionId, Instant now) {
        return jdbi.withHandle(h -> liveSession(h, sessionId, now));
    }

    static Optional<LiveSession> liveSession(Handle h, String sessionId, Instant now) {
        return h.createQuery("SELECT u.id, u.tenant_id, u.username, u.role, u.disabled, u.created_at, u.updated_at"
                        + " FROM app_sessions s JOIN app_users u ON u.id = s.user_id"
                        + " WHERE s.id = :id AND s.ended_at IS NULL AND s.expires_at > :now AND u.disabled = 0")
                .bind("id", sessionId)
                .bind("now", now.toEpochMilli())
                .map((rs, ctx) -> new LiveSession(sessionId, user(rs, ctx)))
                .findOne();
    }

    static void endSession(Handle h, String sessionId, Instant now, String reason) {
        h.createUpdate("UPDATE app_sessions SET ended_at = :now, end_reason = :reason WHERE id = :id AND ended_at"
                        + " IS NULL")
                .bind("now", now.toEpochMilli())
                .bind("reason", reason)
                .bind("id", sessionId)
                .execute();
    }

    void endSession(String sessionId, Instant now, String reason) {
        jdbi.useTransaction(h -> endSession(h, sessionId, now, reason));
    }

    static int endSessions(Handle h, String userId, @Nullable String except, Instant now, String reason) {
        return h.createUpdate("UPDATE app_sessions SET ended_at = :now, end_reason = :reason WHERE user_id = :user"
                        + " AND ended_at IS NULL" + (except == null ? "" : " AND id <> :except"))
                .bind("now", now.toEpochMilli())
                .bind("reason", reason)
                .bind("user", userId)
                .bind("except", except)
                .execute();
    }

    /** Deletes sessions (and, by cascade, their refresh tokens) that expired or ended before {@code before}. */
    int purgeSessions(Instant before) {
        return jdbi.withHandle(
                h -> h.createUpdate("DELETE FROM app_sessions WHERE expires_at < :before OR ended_at < :before")
                        .bind("before", before.toEpochMilli())
                        .execute());
    }

    // ---- settings

    /** The setting's value, inserting {@code candidate} first when it has none; every instance reads the same. */
    String settingOrInsert(String name, String candidate) {
        return jdbi.inTransaction(h -> {
            h.createUpdate("INSERT INTO app_settings (name, value) VALUES (:name, :value) ON CONFLICT (name) DO"
                            + " NOTHING")
                    .bind("name", name)
                    .bind("value", candidate)
                    .execute();
            return h.createQuery("SELECT value FROM app_settings WHERE name = :name")
                    .bind("name", name)
                    .mapTo(String.class)
                    .one();
        });
    }

    // ---- limit owners

    public void recordLimitOwner(String limitId, String userId) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO app_limit_owners (limit_id, user_id) VALUES (:limit, :user)")
                .bind("limit", limitId)
                .bind("user", userId)
                .execute());
    }

    public Optional<String> limitOwner(String limitId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT user_id FROM app_limit_owners WHERE limit_id = :limit")
                .bind("limit", limitId)
                .mapTo(String.class)
                .findOne());
    }

    public void forgetLimitOwner(String limitId) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM app_limit_owners WHERE limit_id = :limit")
                .bind("limit", limitId)
                .execute());
    }
}
