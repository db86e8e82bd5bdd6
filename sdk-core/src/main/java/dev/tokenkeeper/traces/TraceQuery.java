package dev.tokenkeeper.traces;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.usage.CallOutcome;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A filter over one tenant's traces, newest first, with keyset pagination.
 *
 * @param tenantId tenant
 * @param from inclusive lower bound, or {@code null}
 * @param to exclusive upper bound, or {@code null}
 * @param tokenId only this token, or {@code null}
 * @param userId only this user, or {@code null}
 * @param projectId only this project, or {@code null}
 * @param provider only this provider, or {@code null}
 * @param model only this model, or {@code null}
 * @param outcome only this outcome, or {@code null}
 * @param limit page size, 1 to 1,000
 * @param cursor the previous page's cursor, or {@code null}
 */
public record TraceQuery(
        String tenantId,
        @Nullable Instant from,
        @Nullable Instant to,
        @Nullable String tokenId,
        @Nullable String userId,
        @Nullable String projectId,
        @Nullable String provider,
        @Nullable String model,
        @Nullable CallOutcome outcome,
        int limit,
        @Nullable String cursor) {

    public TraceQuery {
        Checks.tenantId("tenant", tenantId);
        Checks.instant("from", from);
        Checks.instant("to", to);
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidRequestException("from", "must be before 'to'");
        }
        Checks.optionalIdentifier("tokenId", tokenId);
        Checks.optionalIdentifier("userId", userId);
        Checks.optionalIdentifier("projectId", projectId);
        if (provider != null) {
            Checks.provider("provider", provider);
        }
        if (model != null) {
            Checks.model("model", model);
        }
        Checks.pageLimit("limit", limit);
    }

    public static Builder builder(String tenantId) {
        return new Builder(tenantId);
    }

    /** This query for the next page. */
    public TraceQuery withCursor(@Nullable String next) {
        return new TraceQuery(tenantId, from, to, tokenId, userId, projectId, provider, model, outcome, limit, next);
    }

    /** Builder for {@link TraceQuery}. */
    public static final class Builder {
        private final String tenantId;
        private @Nullable Instant from;
        private @Nullable Instant to;
        private @Nullable String tokenId;
        private @Nullable String userId;
        private @Nullable String projectId;
        private @Nullable String provider;
        private @Nullable String model;
        private @Nullable CallOutcome outcome;
        private int limit = 100;
        private @Nullable String cursor;

        private Builder(String tenantId) {
            this.tenantId = requireNonNull(tenantId, "tenantId");
        }

        public Builder from(@Nullable Instant from) {
            this.from = from;
            return this;
        }

        public Builder to(@Nullable Instant to) {
            this.to = to;
            return this;
        }

        public Builder token(@Nullable String tokenId) {
            this.tokenId = tokenId;
            return this;
        }

        public Builder user(@Nullable String userId) {
            this.userId = userId;
            return this;
        }

        public Builder project(@Nullable String projectId) {
            this.projectId = projectId;
            return this;
        }

        public Builder provider(@Nullable String provider) {
            this.provider = provider;
            return this;
        }

        public Builder model(@Nullable String model) {
            this.model = model;
            return this;
        }

        public Builder outcome(@Nullable CallOutcome outcome) {
            this.outcome = outcome;
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

        public TraceQuery build() {
            return new TraceQuery(
                    tenantId, from, to, tokenId, userId, projectId, provider, model, outcome, limit, cursor);
        }
    }
}
