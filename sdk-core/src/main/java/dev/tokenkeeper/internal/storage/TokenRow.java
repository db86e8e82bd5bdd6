package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.tokens.Role;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** A row of {@code tk_tokens}. Times are Unix epoch milliseconds. */
public record TokenRow(
        String id,
        String tenantId,
        String name,
        String displayPrefix,
        @Nullable String userId,
        @Nullable String projectId,
        Role role,
        Set<String> scopes,
        Set<String> allowedProviders,
        Set<String> allowedModels,
        Map<String, String> metadata,
        long createdAt,
        String createdBy,
        @Nullable Long expiresAt,
        @Nullable Long revokedAt,
        @Nullable String revokedBy,
        @Nullable String revokeReason,
        @Nullable Long rotatedAt,
        @Nullable Long lastUsedAt,
        long updatedAt) {}
