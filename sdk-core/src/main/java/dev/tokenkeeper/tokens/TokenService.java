package dev.tokenkeeper.tokens;

import dev.tokenkeeper.Page;
import dev.tokenkeeper.audit.Actor;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The API token lifecycle: issue, verify, list, rotate, revoke, expire. Obtain it from
 * {@code keeper.tokens()}; thread-safe.
 *
 * <p>Every mutation runs in one transaction together with its audit event, and is visible to this
 * instance at once and to every other instance sharing the database within the configured
 * propagation bound (see {@code docs/tokens.md}).
 */
public interface TokenService {

    /**
     * Issues a token. The returned {@link IssuedToken#secret()} is the only copy of the secret.
     *
     * @throws dev.tokenkeeper.InvalidRequestException when the spec is not acceptable (for example
     *     an expiry that is not in the future)
     * @throws dev.tokenkeeper.NotFoundException with {@code TENANT_NOT_FOUND} for an unknown tenant
     */
    IssuedToken issue(TokenSpec spec);

    /**
     * Verifies a presented secret. A malformed secret is refused without any I/O. Never throws for
     * a bad secret; throws {@link dev.tokenkeeper.StorageException} only when storage is needed and
     * cannot be reached.
     */
    VerificationResult verify(@Nullable String secret);

    /**
     * Like {@link #verify(String)}, naming where the secret came from (such as a client address),
     * which is recorded with audited verification failures.
     */
    VerificationResult verify(@Nullable String secret, @Nullable String source);

    /** The token with that id in that tenant, if any. */
    Optional<TokenInfo> find(String tenantId, String tokenId);

    /**
     * The tenant a token id belongs to, if the token exists. Token ids are unique across tenants;
     * an application uses this to tell a request for another tenant's token (a refused access, worth
     * an audit event) from one for a token that does not exist. Never tell the caller which it was.
     */
    Optional<String> tenantOf(String tokenId);

    /**
     * The token with that id in that tenant.
     *
     * @throws dev.tokenkeeper.NotFoundException with {@code TOKEN_NOT_FOUND}
     */
    TokenInfo get(String tenantId, String tokenId);

    /** One page of the tenant's tokens, newest first. */
    Page<TokenInfo> list(TokenQuery query);

    /**
     * Replaces the token's secret. The id, settings and usage history stay; the previous secret
     * keeps working for {@code gracePeriod} and is refused as {@link RejectionReason#REVOKED} after.
     *
     * @throws dev.tokenkeeper.ConflictException when the token is revoked or expired
     */
    IssuedToken rotate(String tenantId, String tokenId, Duration gracePeriod, Actor actor);

    /** Rotates with the configured default grace period, as {@link Actor#SYSTEM}. */
    IssuedToken rotate(String tenantId, String tokenId);

    /**
     * Revokes the token: all its secrets stop working at once on this instance, and on the others
     * within the propagation bound. Revoking a revoked token changes nothing and returns it.
     */
    TokenInfo revoke(String tenantId, String tokenId, @Nullable String reason, Actor actor);

    /** Revokes as {@link Actor#SYSTEM}, without a reason. */
    default TokenInfo revoke(String tenantId, String tokenId) {
        return revoke(tenantId, tokenId, null, Actor.SYSTEM);
    }

    /**
     * Sets or clears ({@code null}) the expiry. A new expiry must be in the future; an expired token
     * becomes active again when its expiry is moved forward.
     *
     * @throws dev.tokenkeeper.ConflictException when the token is revoked
     */
    TokenInfo updateExpiry(String tenantId, String tokenId, @Nullable Instant expiresAt, Actor actor);
}
