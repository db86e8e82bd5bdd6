package dev.tokenkeeper.tokens;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What can be known about a token after it was issued: never its secret, never the secret's hash.
 *
 * @param id the token id (stable across rotations)
 * @param tenantId its tenant
 * @param name its name
 * @param displayPrefix the first characters of the current secret, for recognising it
 * @param userId owning user, if any
 * @param projectId project, if any
 * @param role granted role
 * @param scopes granted scopes
 * @param allowedProviders allowed providers; empty means any
 * @param allowedModels allowed models; empty means any
 * @param metadata application metadata
 * @param status the status at the time this value was read
 * @param createdAt when it was issued
 * @param createdBy who issued it
 * @param expiresAt when it expires, or {@code null}
 * @param revokedAt when it was revoked, or {@code null}
 * @param rotatedAt when its secret was last rotated, or {@code null}
 * @param lastUsedAt last successful verification, to within the last-used flush interval
 */
public record TokenInfo(
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
        TokenStatus status,
        Instant createdAt,
        String createdBy,
        @Nullable Instant expiresAt,
        @Nullable Instant revokedAt,
        @Nullable Instant rotatedAt,
        @Nullable Instant lastUsedAt) {}
