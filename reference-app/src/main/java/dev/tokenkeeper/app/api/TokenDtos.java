package dev.tokenkeeper.app.api;

import dev.tokenkeeper.Page;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenInfo;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** JSON shapes of the token endpoints (snake_case on the wire). */
final class TokenDtos {
    private TokenDtos() {}

    record CreateTokenRequest(
            @Nullable String name,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String role,
            @Nullable Set<String> scopes,
            @Nullable Set<String> allowedProviders,
            @Nullable Set<String> allowedModels,
            @Nullable Instant expiresAt,
            @Nullable Long expiresInSeconds,
            @Nullable Map<String, String> metadata) {}

    record RotateRequest(@Nullable Long gracePeriodSeconds) {}

    record TokenView(
            String id,
            String name,
            String displayPrefix,
            @Nullable String userId,
            @Nullable String projectId,
            String role,
            Set<String> scopes,
            Set<String> allowedProviders,
            Set<String> allowedModels,
            Map<String, String> metadata,
            String status,
            Instant createdAt,
            String createdBy,
            @Nullable Instant expiresAt,
            @Nullable Instant revokedAt,
            @Nullable Instant rotatedAt,
            @Nullable Instant lastUsedAt) {
        static TokenView of(TokenInfo t) {
            return new TokenView(
                    t.id(),
                    t.name(),
                    t.displayPrefix(),
                    t.userId(),
                    t.projectId(),
                    t.role().name().toLowerCase(Locale.ROOT),
                    t.scopes(),
                    t.allowedProviders(),
                    t.allowedModels(),
                    t.metadata(),
                    t.status().name().toLowerCase(Locale.ROOT),
                    t.createdAt(),
                    t.createdBy(),
                    t.expiresAt(),
                    t.revokedAt(),
                    t.rotatedAt(),
                    t.lastUsedAt());
        }
    }

    /** The response of issue and rotate: the only time the secret is sent. */
    record IssuedTokenView(String token, TokenView tokenInfo) {
        static IssuedTokenView of(IssuedToken t) {
            return new IssuedTokenView(t.secret(), TokenView.of(t.info()));
        }
    }

    record PageView<T>(List<T> items, @Nullable String nextCursor) {
        static PageView<TokenView> tokens(Page<TokenInfo> page) {
            return new PageView<>(page.items().stream().map(TokenView::of).toList(), page.nextCursor());
        }
    }
}
