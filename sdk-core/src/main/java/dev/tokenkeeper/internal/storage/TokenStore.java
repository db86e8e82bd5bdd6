package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.tokens.TokenStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Tokens and their secrets. Every method that an application path reaches is scoped by tenant; the
 * exceptions are the lookups by secret hash and by id used by verification, where the presented
 * secret itself establishes the tenant, and the change feed used to keep caches fresh.
 */
public interface TokenStore {
    void insertToken(StorageTx tx, TokenRow row);

    void insertSecret(StorageTx tx, SecretRow row);

    Optional<TokenRow> find(StorageTx tx, String tenantId, String tokenId);

    /** A token with all its secrets (superseded ones included), as verification needs it. */
    record TokenWithSecrets(TokenRow token, List<SecretRow> secrets) {}

    /** Verification path, one round trip: the token a secret hash belongs to, whatever its tenant. */
    Optional<TokenWithSecrets> findByHash(StorageTx tx, String secretHash);

    /** Verification path, one round trip: a token by id, whatever its tenant. */
    Optional<TokenWithSecrets> findById(StorageTx tx, String tokenId);

    List<TokenRow> list(
            StorageTx tx,
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable TokenStatus status,
            long now,
            @Nullable String afterId,
            int limit);

    /** Marks a not yet revoked token revoked; returns the number of rows changed (0 or 1). */
    int revoke(StorageTx tx, String tenantId, String tokenId, long at, String by, @Nullable String reason);

    /**
     * Records a rotation on a token that is neither revoked nor expired at {@code now}; returns the
     * number of rows changed (0 or 1). Takes the row lock on backends that have row locks.
     */
    int markRotated(StorageTx tx, String tenantId, String tokenId, String displayPrefix, long now);

    /** Caps the validity of the token's live secrets at {@code until}. */
    void expireSecrets(StorageTx tx, String tokenId, long until);

    /** Sets the expiry of a not revoked token; returns the number of rows changed (0 or 1). */
    int updateExpiry(StorageTx tx, String tenantId, String tokenId, @Nullable Long expiresAt, long now);

    /** A token's change as the change feed sees it: its id and current {@code updated_at}. */
    record Change(String tokenId, long updatedAt) {}

    /**
     * Change feed: the tokens changed at or after {@code since}. Every change makes a token's
     * {@code updated_at} grow, so a state read with the value returned here reflects every change.
     */
    List<Change> changedSince(StorageTx tx, long since);

    /** Advances {@code last_used_at} (never moves it back). */
    void touchLastUsed(StorageTx tx, Map<String, Long> lastUsedByTokenId);
}
