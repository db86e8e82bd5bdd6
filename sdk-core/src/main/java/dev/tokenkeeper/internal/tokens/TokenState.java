package dev.tokenkeeper.internal.tokens;

import dev.tokenkeeper.tokens.VerificationResult;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What verification needs to know about one token, prepared once per load so that a cache hit
 * allocates nothing: per secret (superseded ones included, so that they are refused without I/O)
 * (keyed by its hash: a {@link HashKey} holds all 256 bits, so a match is the hash) its validity and
 * the ready {@code Verified} result (as a {@link TokenCheck}).
 */
final class TokenState {
    record Secret(long validUntil, TokenCheck verified) {}

    final String tokenId;
    final String tenantId;
    final boolean revoked;
    final long expiresAt;
    final Map<HashKey, Secret> secrets;
    /** The token row's {@code updated_at} when this state was read: it grows with every change. */
    final long updatedAt;

    final TokenCheck revokedResult;
    final TokenCheck expiredResult;
    /** When it was read from storage, on the ticker of the token service's clock. */
    final long readNanos;
    /** Last time this instance queued a last-used update for the token (per state object). */
    volatile long lastUsedMark = Long.MIN_VALUE / 2;
    /**
     * Set when the state leaves the state cache (a change here, the change feed, eviction, expiry,
     * replacement): from then on a {@code TokenRef} that points to it goes back to the cache.
     */
    volatile boolean dropped;

    TokenState(
            String tokenId,
            String tenantId,
            boolean revoked,
            @Nullable Long expiresAt,
            Map<HashKey, Secret> secrets,
            long updatedAt,
            long readNanos) {
        this.tokenId = tokenId;
        this.tenantId = tenantId;
        this.revoked = revoked;
        this.expiresAt = expiresAt == null ? Long.MAX_VALUE : expiresAt;
        this.secrets = Map.copyOf(secrets);
        this.updatedAt = updatedAt;
        this.readNanos = readNanos;
        this.revokedResult = new TokenCheck(
                new VerificationResult.Rejected(dev.tokenkeeper.tokens.RejectionReason.REVOKED, tokenId));
        this.expiredResult = new TokenCheck(
                new VerificationResult.Rejected(dev.tokenkeeper.tokens.RejectionReason.EXPIRED, tokenId));
    }
}
