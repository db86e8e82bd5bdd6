package dev.tokenkeeper.internal.tokens;

import dev.tokenkeeper.tokens.VerificationResult;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What verification needs to know about one token, prepared once per load so that a cache hit
 * allocates nothing: per secret (superseded ones included, so that they are refused without I/O)
 * its hash, validity and the ready {@code Verified} result (as a {@link TokenCheck}).
 */
final class TokenState {
    @SuppressWarnings("ArrayRecordComponent") // never compared as a record: the hash is matched by HashKey
    record Secret(byte[] hash, long validUntil, TokenCheck verified) {}

    final String tokenId;
    final String tenantId;
    final boolean revoked;
    final long expiresAt;
    final Map<HashKey, Secret> secrets;
    /** The token row's {@code updated_at} when this state was read: it grows with every change. */
    final long updatedAt;

    final TokenCheck revokedResult;
    final TokenCheck expiredResult;
    /** Last time this instance queued a last-used update for the token (per state object). */
    volatile long lastUsedMark = Long.MIN_VALUE / 2;

    TokenState(
            String tokenId,
            String tenantId,
            boolean revoked,
            @Nullable Long expiresAt,
            Map<HashKey, Secret> secrets,
            long updatedAt) {
        this.tokenId = tokenId;
        this.tenantId = tenantId;
        this.revoked = revoked;
        this.expiresAt = expiresAt == null ? Long.MAX_VALUE : expiresAt;
        this.secrets = Map.copyOf(secrets);
        this.updatedAt = updatedAt;
        this.revokedResult = new TokenCheck(
                new VerificationResult.Rejected(dev.tokenkeeper.tokens.RejectionReason.REVOKED, tokenId));
        this.expiredResult = new TokenCheck(
                new VerificationResult.Rejected(dev.tokenkeeper.tokens.RejectionReason.EXPIRED, tokenId));
    }
}
