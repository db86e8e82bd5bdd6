package dev.tokenkeeper.app.accounts;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.api.ApiException;
import dev.tokenkeeper.app.config.AppProperties;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEntry;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenInfo;
import dev.tokenkeeper.tokens.TokenQuery;
import dev.tokenkeeper.tokens.TokenStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * People and their sessions: users, logins, refresh-token rotation with reuse detection, logout,
 * password changes. Every change is audited in the user's tenant under the app's own actions
 * ({@code auth.*}, {@code user.*}); passwords, hashes and token secrets never reach the audit log
 * or the application log.
 */
@Service
public class Accounts {
    private static final Logger LOG = LoggerFactory.getLogger(Accounts.class);

    public static final AuditAction LOGIN = AuditAction.of("auth.login");
    public static final AuditAction LOGIN_FAILED = AuditAction.of("auth.login_failed");
    public static final AuditAction LOGOUT = AuditAction.of("auth.logout");
    public static final AuditAction REFRESH_REUSED = AuditAction.of("auth.refresh_reused");
    public static final AuditAction PASSWORD_CHANGED = AuditAction.of("auth.password_changed");
    public static final AuditAction USER_CREATED = AuditAction.of("user.created");
    public static final AuditAction USER_UPDATED = AuditAction.of("user.updated");
    public static final AuditAction USER_DELETED = AuditAction.of("user.deleted");

    static final String REFRESH_PREFIX = "tkr_";
    private static final int REFRESH_BYTES = 32;
    /** User names: what people type, emails included; no blanks, no control characters. */
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{1,63}");

    private final TokenKeeper keeper;
    private final AccountStore store;
    private final Passwords passwords;
    private final AccessTokens accessTokens;
    private final LoginThrottle throttle;
    private final AppProperties props;
    private final SecureRandom random = new SecureRandom();
    private final AtomicLong lastPurge = new AtomicLong();

    public Accounts(
            TokenKeeper keeper,
            AccountStore store,
            Passwords passwords,
            AccessTokens accessTokens,
            LoginThrottle throttle,
            AppProperties props) {
        this.keeper = keeper;
        this.store = store;
        this.passwords = passwords;
        this.accessTokens = accessTokens;
        this.throttle = throttle;
        this.props = props;
    }

    /** A live session and its user, as stored now. */
    public record Session(String sessionId, User user) {}

    /** What a login or a refresh answers. */
    public record Tokens(String accessToken, long expiresIn, String refreshToken) {}

    /** A page of users. */
    public record UserPage(List<User> items, @Nullable String nextCursor) {}

    // ---- sessions

    /** The live session of a valid access token: not ended, not expired, its user enabled. */
    public Optional<Session> session(String accessToken) {
        return accessTokens
                .verify(accessToken)
                .flatMap(claimed -> store.liveSession(claimed.sessionId(), now())
                        .filter(live -> live.user().id().equals(claimed.userId()))
                        .map(live -> new Session(live.sessionId(), live.user())));
    }

    /**
     * Logs a user in. Unknown user, wrong password and disabled user get the same answer, after the
     * same work (an Argon2 verification either way).
     */
    public Tokens login(@Nullable String username, @Nullable String password, String source) {
        String name = username == null ? "" : username;
        String account = AccountStore.key(name.length() > 64 ? name.substring(0, 64) : name);
        throttle.check(account, source);
        Optional<AccountStore.Credentials> found =
                USERNAME.matcher(name).matches() ? store.credentials(name) : Optional.empty();
        boolean matches = passwords.matches(
                password == null ? "" : password,
                found.map(AccountStore.Credentials::passwordHash).orElse(null));
        if (!matches || found.get().user().disabled()) {
            throttle.failed(account, source);
            String reason = found.isEmpty() ? "unknown_user" : !matches ? "wrong_password" : "user_disabled";
            Map<String, String> meta = Map.of("reason", reason);
            User u = found.map(AccountStore.Credentials::user).orElse(null);
            auditAggregated(new AuditEntry(
                    u == null ? props.defaultTenant() : u.tenantId(),
                    Actor.of(u == null ? "anonymous" : "user:" + u.id(), source),
                    LOGIN_FAILED,
                    "user",
                    u == null ? null : u.id(),
                    AuditOutcome.FAILURE,
                    meta));
            throw ApiExceptions.unauthorized("invalid_credentials", "the user name or the password is wrong");
        }
        User user = found.get().user();
        purgeNowAndThen();
        Instant now = now();
        String sessionId = "ses_" + hex(16);
        String refresh = newRefreshSecret();
        store.insertSession(sessionId, user.id(), now, now.plus(props.auth().refreshTokenTtl()), sha256(refresh));
        audit(new AuditEntry(
                user.tenantId(),
                Actor.of("user:" + user.id(), source),
                LOGIN,
                "session",
                sessionId,
                AuditOutcome.SUCCESS,
                Map.of()));
        return new Tokens(
                accessTokens.issue(user, sessionId), accessTokens.ttl().toSeconds(), refresh);
    }

    /**
     * Exchanges a refresh token for new tokens. The old one is spent; presenting a spent one again
     * ends its whole session (reuse detection, RFC 9700 section 4.14.2), including the tokens
     * the exchange issued, and is audited. Two exchanges of one token at once: one commits first, and
     * the other finds it spent, which is reuse: the session ends for both. A server cannot tell a
     * client's retry from a thief's race; a client refreshes one request at a time.
     */
    public Tokens refresh(@Nullable String refreshToken, String source) {
        if (refreshToken == null
                || !refreshToken.startsWith(REFRESH_PREFIX)
                || refreshToken.length() != REFRESH_PREFIX.length() + 43) {
            throw invalidRefresh();
        }
        Instant now = now();
        String fresh = newRefreshSecret();
        String oldHash = sha256(refreshToken);
        Rotation r = store.inTransaction(h -> rotate(h, oldHash, sha256(fresh), now));
        if (r instanceof Rotation.Reused reused) {
            audit(new AuditEntry(
                    reused.tenantId(),
                    Actor.of("user:" + reused.userId(), source),
                    REFRESH_REUSED,
                    "session",
                    reused.sessionId(),
                    AuditOutcome.FAILURE,
                    Map.of("reason", "spent refresh token presented again; session ended")));
            throw invalidRefresh();
        }
        if (!(r instanceof Rotation.Rotated rotated)) {
            throw invalidRefresh();
        }
        return new Tokens(
                accessTokens.issue(rotated.session().user(), rotated.session().sessionId()),
                accessTokens.ttl().toSeconds(),
                fresh);
    }

    private sealed interface Rotation {
        record Rotated(AccountStore.LiveSession session) implements Rotation {}

        record Reused(String sessionId, String userId, String tenantId) implements Rotation {}

        record Invalid() implements Rotation {}
    }

    private static Rotation rotate(Handle h, String oldHash, String newHash, Instant now) {
        var row = h.createQuery("SELECT r.session_id, r.used_at, s.user_id, u.tenant_id FROM app_refresh_tokens r"
                        + " JOIN app_sessions s ON s.id = r.session_id JOIN app_users u ON u.id = s.user_id"
                        + " WHERE r.token_hash = :hash")
                .bind("hash", oldHash)
                .map((rs, ctx) -> new Object[] {
                    rs.getString("session_id"),
                    rs.getObject("used_at"),
                    rs.getString("user_id"),
                    rs.getString("tenant_id")
                })
                .findOne();
        if (row.isEmpty()) {
            return new Rotation.Invalid();
        }
        String sessionId = (String) row.get()[0];
        Rotation.Reused reuse = new Rotation.Reused(sessionId, (String) row.get()[2], (String) row.get()[3]);
        if (row.get()[1] != null) {
            AccountStore.endSession(h, sessionId, now, "refresh_reuse");
            return reuse;
        }
        int spent = h.createUpdate("UPDATE app_refresh_tokens SET used_at = :now WHERE token_hash = :hash AND used_at"
                        + " IS NULL")
                .bind("now", now.toEpochMilli())
                .bind("hash", oldHash)
                .execute();
        if (spent != 1) {
            // another exchange of the same token committed first
            AccountStore.endSession(h, sessionId, now, "refresh_reuse");
            return reuse;
        }
        Optional<AccountStore.LiveSession> live = AccountStore.liveSession(h, sessionId, now);
        if (live.isEmpty()) {
            return new Rotation.Invalid();
        }
        AccountStore.insertRefresh(h, newHash, sessionId, now);
        return new Rotation.Rotated(live.get());
    }

    /** Ends a session: its access tokens stop working at once, its refresh tokens too. */
    public void logout(String sessionId, User user, Actor actor) {
        store.endSession(sessionId, now(), "logout");
        audit(new AuditEntry(user.tenantId(), actor, LOGOUT, "session", sessionId, AuditOutcome.SUCCESS, Map.of()));
    }

    /**
     * Changes the caller's own password, given the current one; ends every other session of theirs.
     * Wrong current passwords count as failed logins of the account.
     */
    public void changePassword(Session session, @Nullable String current, @Nullable String next, Actor actor) {
        User user = session.user();
        String account = AccountStore.key(user.username());
        throttle.check(account, actor.source() == null ? "" : actor.source());
        String hash = store.passwordHash(user.id())
                .orElseThrow(() -> ApiExceptions.unauthorized("invalid_token", "the session's user no longer exists"));
        if (!passwords.matches(current == null ? "" : current, hash)) {
            throttle.failed(account, actor.source() == null ? "" : actor.source());
            throw new ApiException(
                    HttpStatus.BAD_REQUEST, "wrong_password", "current_password: is not the account's password");
        }
        passwords.check("new_password", next, user.username());
        if (passwords.matches(next, hash)) {
            throw new ApiException(
                    HttpStatus.BAD_REQUEST, "weak_password", "new_password: must differ from the current one");
        }
        store.updateUser(
                user.id(), null, null, passwords.hash(next), now(), session.sessionId(), true, "password_changed");
        audit(new AuditEntry(
                user.tenantId(), actor, PASSWORD_CHANGED, "user", user.id(), AuditOutcome.SUCCESS, Map.of()));
    }

    // ---- users

    /** Whether the user exists in the tenant and is enabled. */
    public boolean userActive(String tenantId, String userId) {
        return store.findUser(tenantId, userId).filter(u -> !u.disabled()).isPresent();
    }

    public Optional<User> findUser(String tenantId, String userId) {
        return store.findUser(tenantId, userId);
    }

    /** Creates a user in the tenant; 409 {@code username_taken} when the name (in any case) is in use. */
    public User createUser(
            String tenantId, @Nullable String username, @Nullable String password, Role role, Actor actor) {
        String name = checkUsername(username);
        passwords.check("password", password, name);
        User user = insert(tenantId, name, password, role);
        audit(new AuditEntry(
                tenantId,
                actor,
                USER_CREATED,
                "user",
                user.id(),
                AuditOutcome.SUCCESS,
                Map.of("username", user.username(), "role", lower(role))));
        return user;
    }

    private User insert(String tenantId, String name, String password, Role role) {
        Instant now = now();
        User user = new User("usr_" + hex(12), tenantId, name, role, false, now, now);
        boolean inserted;
        try {
            inserted = store.insertUser(user, passwords.hash(password));
        } catch (RuntimeException e) {
            // a concurrent insert of the same name won the unique index
            if (store.credentials(name).isPresent()) {
                inserted = false;
            } else {
                throw e;
            }
        }
        if (!inserted) {
            throw new ApiException(HttpStatus.CONFLICT, "username_taken", "username: is already in use");
        }
        return user;
    }

    static String checkUsername(@Nullable String username) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw new ApiException(
                    HttpStatus.BAD_REQUEST,
                    "validation_failed",
                    "username: must be 2 to 64 letters, digits or . _ @ + -, starting with a letter or digit");
        }
        return username;
    }

    public UserPage listUsers(String tenantId, int limit, @Nullable String cursor) {
        if (limit < 1 || limit > 1000) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "validation_failed", "limit: must be 1 to 1000");
        }
        String after = null;
        if (cursor != null) {
            try {
                after = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new ApiException(
                        HttpStatus.BAD_REQUEST, "validation_failed", "cursor: is not one this API issued");
            }
        }
        List<User> rows = store.listUsers(tenantId, after, limit + 1);
        String next = null;
        if (rows.size() > limit) {
            rows = rows.subList(0, limit);
            next = Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(rows.get(limit - 1).id().getBytes(StandardCharsets.UTF_8));
        }
        return new UserPage(List.copyOf(rows), next);
    }

    /**
     * Changes a user of the tenant: role, disabled, password (a reset by an admin). Disabling or a
     * password reset ends the user's sessions at once; a role change applies to the next request
     * of each session, since roles are read from the database on every request.
     */
    public User updateUser(
            String tenantId,
            String id,
            @Nullable Role role,
            @Nullable Boolean disabled,
            @Nullable String password,
            Actor actor) {
        User user = store.findUser(tenantId, id).orElseThrow(() -> userNotFound(id));
        String hash = null;
        if (password != null) {
            passwords.check("password", password, user.username());
            hash = passwords.hash(password);
        }
        boolean endSessions = hash != null || Boolean.TRUE.equals(disabled);
        store.updateUser(
                id, role, disabled, hash, now(), null, endSessions, hash != null ? "password_reset" : "disabled");
        Map<String, String> changed = new LinkedHashMap<>();
        if (role != null) {
            changed.put("role", lower(user.role()) + " -> " + lower(role));
        }
        if (disabled != null) {
            changed.put("disabled", user.disabled() + " -> " + disabled);
        }
        if (hash != null) {
            changed.put("password", "reset");
        }
        audit(new AuditEntry(tenantId, actor, USER_UPDATED, "user", id, AuditOutcome.SUCCESS, changed));
        return store.findUser(tenantId, id).orElseThrow(() -> userNotFound(id));
    }

    /** Deletes a user of the tenant: their sessions end and their active API tokens are revoked. */
    public void deleteUser(String tenantId, String id, Actor actor) {
        User user = store.findUser(tenantId, id).orElseThrow(() -> userNotFound(id));
        if (!store.deleteUser(tenantId, id)) {
            throw userNotFound(id);
        }
        int revoked = 0;
        String cursor = null;
        do {
            var page = keeper.tokens()
                    .list(TokenQuery.builder(tenantId)
                            .user(id)
                            .status(TokenStatus.ACTIVE)
                            .limit(1000)
                            .cursor(cursor)
                            .build());
            for (TokenInfo t : page.items()) {
                keeper.tokens().revoke(tenantId, t.id(), "user deleted", actor);
                revoked++;
            }
            cursor = page.nextCursor();
        } while (cursor != null);
        audit(new AuditEntry(
                tenantId,
                actor,
                USER_DELETED,
                "user",
                id,
                AuditOutcome.SUCCESS,
                Map.of("username", user.username(), "tokens_revoked", Integer.toString(revoked))));
    }

    public long countUsers(String tenantId) {
        return store.countUsers(tenantId);
    }

    // ---- tenants

    /**
     * Creates a tenant and its first admin. Both are checked before either is written; the user is
     * written first and removed again if the tenant cannot be, so that no tenant is left without
     * its admin.
     */
    public User createTenant(
            @Nullable String tenantId,
            @Nullable String name,
            @Nullable String adminUsername,
            @Nullable String adminPassword,
            Actor actor) {
        if (tenantId == null || tenantId.startsWith("_")) {
            throw new ApiException(
                    HttpStatus.BAD_REQUEST, "validation_failed", "id: is required, and may not start with '_'");
        }
        String username = checkUsername(adminUsername);
        passwords.check("admin.password", adminPassword, username);
        if (keeper.tenants().find(tenantId).isPresent()) {
            throw new ApiException(HttpStatus.CONFLICT, "tenant_exists", "id: a tenant with this id exists");
        }
        if (store.credentials(username).isPresent()) {
            throw new ApiException(HttpStatus.CONFLICT, "username_taken", "admin.username: is already in use");
        }
        User admin = insert(tenantId, username, adminPassword, Role.ADMIN);
        try {
            keeper.tenants().create(tenantId, name == null ? tenantId : name, actor);
        } catch (RuntimeException e) {
            store.deleteUser(tenantId, admin.id());
            throw e;
        }
        audit(new AuditEntry(
                tenantId,
                actor,
                USER_CREATED,
                "user",
                admin.id(),
                AuditOutcome.SUCCESS,
                Map.of("username", admin.username(), "role", "admin")));
        return admin;
    }

    // ---- bootstrap

    /** Whether the database holds no user at all: the first start. */
    public boolean noUsers() {
        return store.countUsers() == 0;
    }

    /** Creates the bootstrap admin; empty when another instance created a user first. */
    Optional<User> createBootstrapAdmin(String tenantId, String username, String password) {
        try {
            return Optional.of(insert(tenantId, checkUsername(username), password, Role.ADMIN));
        } catch (ApiException e) {
            if (e.code().equals("username_taken")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    Passwords passwords() {
        return passwords;
    }

    /** A strong random password, as the bootstrap admin gets. */
    public String generatePassword() {
        return passwords.generate();
    }

    // ---- helpers

    /** Deletes sessions that ended or expired a day ago, at most once an hour, on a login. */
    private void purgeNowAndThen() {
        long now = now().toEpochMilli();
        long last = lastPurge.get();
        if (now - last >= Duration.ofHours(1).toMillis() && lastPurge.compareAndSet(last, now)) {
            int purged = store.purgeSessions(now().minus(Duration.ofDays(1)));
            if (purged > 0) {
                LOG.debug("purged {} old sessions", purged);
            }
        }
    }

    private void audit(AuditEntry e) {
        try {
            keeper.audit().record(e);
        } catch (RuntimeException failure) {
            LOG.warn("could not record {}: {}", e.action(), failure.getMessage());
        }
    }

    private void auditAggregated(AuditEntry e) {
        try {
            keeper.audit().recordAggregated(e);
        } catch (RuntimeException failure) {
            LOG.warn("could not record {}: {}", e.action(), failure.getMessage());
        }
    }

    private Instant now() {
        return keeper.clock().instant();
    }

    private String newRefreshSecret() {
        byte[] b = new byte[REFRESH_BYTES];
        random.nextBytes(b);
        return REFRESH_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private String hex(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ApiException invalidRefresh() {
        return ApiExceptions.unauthorized(
                "invalid_refresh_token", "the refresh token is invalid, expired, spent or its session ended");
    }

    static ApiException userNotFound(String id) {
        return new ApiException(HttpStatus.NOT_FOUND, "user_not_found", "user '" + printable(id) + "' does not exist");
    }

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.codePoints()
                .map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }

    private static String lower(Role r) {
        return r.name().toLowerCase(Locale.ROOT);
    }
}
