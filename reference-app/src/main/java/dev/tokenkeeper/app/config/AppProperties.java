package dev.tokenkeeper.app.config;

import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The reference app's own {@code tokenkeeper.*} settings. The TokenKeeper itself (storage, sync,
 * prices, ledger, budgets) is configured by the Spring Boot starter's properties under the same
 * prefix.
 *
 * @param defaultTenant the operator's tenant, created at first start with the bootstrap admin user;
 *     its admins may change deployment-wide settings (prices) and manage tenants
 * @param admin the bootstrap admin user created on an empty database
 * @param auth sessions of people: JWT access tokens, refresh tokens, passwords, login throttling
 * @param maxBodySize the largest request body the control API reads; a larger one is refused with
 *     413 before it is read
 * @param apiRateLimit how many control-API requests each caller (API token) may make per period
 * @param demoData at the first start on the embedded SQLite database, seed a month of realistic
 *     usage (users, tokens, limits, calls across providers, errors included) so that the dashboard
 *     shows something at once; never on PostgreSQL, never on a database that has users
 */
@ConfigurationProperties("tokenkeeper")
public record AppProperties(
        @DefaultValue("default") String defaultTenant,
        @DefaultValue Admin admin,
        @DefaultValue Auth auth,
        @DefaultValue("64KB") DataSize maxBodySize,
        @DefaultValue ApiRateLimit apiRateLimit,
        @DefaultValue("true") boolean demoData) {

    /**
     * The bootstrap admin ({@code tokenkeeper.admin.*}), created in the default tenant when the
     * database has no user at all.
     *
     * @param username its user name
     * @param password its password ({@code TOKENKEEPER_ADMIN_PASSWORD} in the environment); when
     *     unset, a strong one is generated and printed once at that first start
     */
    public record Admin(
            @DefaultValue("admin") String username,
            @Nullable String password) {
        @Override
        public String toString() {
            return "Admin[username=" + username + ", password=" + (password == null ? "unset" : "(set)") + "]";
        }
    }

    /**
     * Sessions of people ({@code tokenkeeper.auth.*}).
     *
     * @param jwtAlgorithm the one algorithm access tokens are signed and accepted with: HS256,
     *     HS384 or HS512
     * @param jwtSecret the signing key, base64 (standard or URL-safe alphabet), at least as many
     *     bits as the algorithm's hash (256 for HS256); when unset, a random key is generated at
     *     first start and kept in the database, so that restarts and other instances on the same
     *     database accept the same tokens
     * @param issuer the {@code iss} claim written and required
     * @param audience the {@code aud} claim written and required
     * @param accessTokenTtl how long an access token is valid
     * @param refreshTokenTtl a session's absolute lifetime: its refresh tokens, rotated on every
     *     use, all expire this long after the login
     * @param loginAttempts failed logins allowed per account and per source address in each login
     *     window; then 429 until the window ends
     * @param loginWindow that window
     * @param passwordMinLength the shortest password accepted (at least 8)
     */
    public record Auth(
            @DefaultValue("HS256") String jwtAlgorithm,
            @Nullable String jwtSecret,
            @DefaultValue("tokenkeeper") String issuer,
            @DefaultValue("tokenkeeper-api") String audience,
            @DefaultValue("1h") Duration accessTokenTtl,
            @DefaultValue("7d") Duration refreshTokenTtl,
            @DefaultValue("10") int loginAttempts,
            @DefaultValue("1m") Duration loginWindow,
            @DefaultValue("12") int passwordMinLength) {
        public Auth {
            jwtAlgorithm = jwtAlgorithm.toUpperCase(Locale.ROOT);
            if (!jwtAlgorithm.equals("HS256") && !jwtAlgorithm.equals("HS384") && !jwtAlgorithm.equals("HS512")) {
                throw new IllegalArgumentException(
                        "tokenkeeper.auth.jwt-algorithm must be HS256, HS384 or HS512, was " + jwtAlgorithm);
            }
            positive("tokenkeeper.auth.access-token-ttl", accessTokenTtl);
            positive("tokenkeeper.auth.refresh-token-ttl", refreshTokenTtl);
            positive("tokenkeeper.auth.login-window", loginWindow);
            if (loginAttempts < 1) {
                throw new IllegalArgumentException(
                        "tokenkeeper.auth.login-attempts must be >= 1, was " + loginAttempts);
            }
            if (passwordMinLength < 8 || passwordMinLength > 64) {
                throw new IllegalArgumentException(
                        "tokenkeeper.auth.password-min-length must be between 8 and 64, was " + passwordMinLength);
            }
            if (issuer.isBlank() || audience.isBlank()) {
                throw new IllegalArgumentException("tokenkeeper.auth.issuer and audience must not be blank");
            }
        }

        @Override
        public String toString() {
            return "Auth[jwtAlgorithm=" + jwtAlgorithm + ", jwtSecret=" + (jwtSecret == null ? "unset" : "(set)")
                    + ", issuer=" + issuer + ", audience=" + audience + ", accessTokenTtl=" + accessTokenTtl
                    + ", refreshTokenTtl=" + refreshTokenTtl + "]";
        }
    }

    /**
     * The control API's rate limit per caller ({@code tokenkeeper.api-rate-limit.*}).
     *
     * @param requests requests per period and caller; then 429 with {@code Retry-After}
     * @param period the period, refilled whole at its end
     */
    public record ApiRateLimit(
            @DefaultValue("600") int requests,
            @DefaultValue("1m") Duration period) {
        public ApiRateLimit {
            if (requests < 1) {
                throw new IllegalArgumentException("tokenkeeper.api-rate-limit.requests must be >= 1, was " + requests);
            }
            positive("tokenkeeper.api-rate-limit.period", period);
        }
    }

    private static void positive(String name, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }
}
