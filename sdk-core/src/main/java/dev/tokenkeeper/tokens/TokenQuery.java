package dev.tokenkeeper.tokens;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.internal.util.Checks;
import org.jspecify.annotations.Nullable;

/**
 * A filter over one tenant's tokens, newest first, with keyset pagination.
 *
 * @param tenantId the tenant
 * @param userId only this user's tokens, or {@code null}
 * @param projectId only this project's tokens, or {@code null}
 * @param status only tokens in this status now, or {@code null}
 * @param limit page size, 1 to 1000
 * @param cursor the previous page's cursor, or {@code null}
 */
public record TokenQuery(
        String tenantId,
        @Nullable String userId,
        @Nullable String projectId,
        @Nullable TokenStatus status,
        int limit,
        @Nullable String cursor) {

    public TokenQuery {
        Checks.tenantId("tenant", tenantId);
        Checks.optionalIdentifier("userId", userId);
        Checks.optionalIdentifier("projectId", projectId);
        Checks.pageLimit("limit", limit);
    }

    public static Builder builder(String tenantId) {
        return new Builder(tenantId);
    }

    /** Builder for {@link TokenQuery}. */
    public static final class Builder {
        private final String tenantId;
        private @Nullable String userId;
        private @Nullable String projectId;
        private @Nullable TokenStatus status;
        private int limit = 100;
        private @Nullable String cursor;

        private Builder(String tenantId) {
            this.tenantId = requireNonNull(tenantId, "tenantId");
        }

        public Builder user(@Nullable String userId) {
            this.userId = userId;
            return this;
        }

        public Builder project(@Nullable String projectId) {
            this.projectId = projectId;
            return this;
        }

        public Builder status(@Nullable TokenStatus status) {
            this.status = status;
            return this;
        }

        public Builder limit(int limit) {
            this.limit = limit;
            return this;
        }

        public Builder cursor(@Nullable String cursor) {
            this.cursor = cursor;
            return this;
        }

        public TokenQuery build() {
            return new TokenQuery(tenantId, userId, projectId, status, limit, cursor);
        }
    }
}
