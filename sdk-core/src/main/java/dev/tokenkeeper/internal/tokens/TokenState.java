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
    /**
     * One of {@link #secrets} (the one valid longest, the current secret of a rotated token) held in
     * the state itself: its hash's four longs, its validity and its result, so that verifying it reads
     * this object only, not the map's table, key and entry.
     */
    private final long mainA;

    private final long mainB;
    private final long mainC;
    private final long mainD;
    private final long mainValidUntil;
    private final @Nullable TokenCheck mainVerified;
    /** The token row's {@code updated_at} when this state was read: it grows with every change. */
    final long updatedAt;

    final TokenCheck revokedResult;
    final TokenCheck expiredResult;
    /** When it was read from storage: the clock's millis. */
    final long readMillis;
    /** Last time this instance queued a last-used update for the token (per state object). */
    volatile long lastUsedMark = Long.MIN_VALUE / 2;
    /**
     * Set when the state leaves the state cache (a change here, the change feed, eviction, expiry,
     * replacement): from then on a {@code TokenRef} that points to it goes back to the cache.
     */
    volatile boolean dropped;

    /**
     * The result of verifying the secret of hash {@code key} at {@code now}: its ready {@code Verified}
     * result while it is one of this token's secrets and valid, else {@code null} (a secret unknown
     * here, superseded or past its time; revocation and expiry of the token are the caller's checks).
     */
    @Nullable
    TokenCheck verifiedIfValid(HashKey key, long now) {
        if (mainVerified != null && key.a() == mainA && key.b() == mainB && key.c() == mainC && key.d() == mainD) {
            return mainValidUntil > now ? mainVerified : null;
        }
        Secret s = secrets.get(key);
        return s == null || s.validUntil() <= now ? null : s.verified();
    }

    TokenState(
            String tokenId,
            String tenantId,
            boolean revoked,
            @Nullable Long expiresAt,
            Map<HashKey, Secret> secrets,
            long updatedAt,
            long readMillis) {
        this.tokenId = tokenId;
        this.tenantId = tenantId;
        this.revoked = revoked;
        this.expiresAt = expiresAt == null ? Long.MAX_VALUE : expiresAt;
        this.secrets = Map.copyOf(secrets);
        Map.Entry<HashKey, Secret> main = null;
        for (Map.Entry<HashKey, Secret> e : this.secrets.entrySet()) {
            if (main == null || e.getValue().validUntil() > main.getValue().validUntil()) {
                main = e;
            }
        }
        this.mainA = main == null ? 0 : main.getKey().a();
        this.mainB = main == null ? 0 : main.getKey().b();
        this.mainC = main == null ? 0 : main.getKey().c();
        this.mainD = main == null ? 0 : main.getKey().d();
        this.mainValidUntil = main == null ? Long.MIN_VALUE : main.getValue().validUntil();
        this.mainVerified = main == null ? null : main.getValue().verified();
        this.updatedAt = updatedAt;
        this.readMillis = readMillis;
        this.revokedResult = new TokenCheck(
                new VerificationResult.Rejected(dev.tokenkeeper.tokens.RejectionReason.REVOKED, tokenId));
        this.expiredResult = new TokenCheck(
                new VerificationResult.Rejected(dev.tokenkeeper.tokens.RejectionReason.EXPIRED, tokenId));
    }
}
