package dev.tokenkeeper.internal.storage;

import org.jspecify.annotations.Nullable;

/**
 * A row of {@code tk_token_secrets}: one secret's hash (hex) and how long it stays valid. A token
 * has one current secret and, during a rotation's grace period, the previous ones.
 */
public record SecretRow(
        String secretHash,
        String tokenId,
        String tenantId,
        String displayPrefix,
        long createdAt,
        @Nullable Long expiresAt) {}
