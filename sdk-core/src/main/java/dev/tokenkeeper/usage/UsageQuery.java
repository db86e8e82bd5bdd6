package dev.tokenkeeper.usage;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.internal.util.Checks;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A filter over one tenant's usage, answered from the hourly roll-ups. The range is widened to whole
 * UTC hours (the roll-ups' grain); results say which range they cover.
 *
 * @param tenantId the tenant
 * @param from inclusive start
 * @param to exclusive end, at most 400 days after {@code from}
 * @param tokenId only this token, or {@code null}
 * @param userId only this user, or {@code null}
 * @param projectId only this project, or {@code null}
 * @param provider only this provider, or {@code null}
 * @param model only this model, or {@code null}
 * @param outcome only calls that ended this way (errors, say), or {@code null}
 */
public record UsageQuery(
        String tenantId,
        Instant from,
        Instant to,
        @Nullable String tokenId,
        @Nullable String userId,
        @Nullable String projectId,
        @Nullable String provider,
        @Nullable String model,
        @Nullable CallOutcome outcome) {

    public static final Duration MAX_RANGE = Duration.ofDays(400);

    public UsageQuery {
        Checks.tenantId("tenant", tenantId);
        Checks.required("from", from);
        Checks.required("to", to);
        Checks.instant("from", from);
        Checks.instant("to", to);
        if (!from.isBefore(to)) {
            throw new InvalidRequestException("from", "must be before 'to'");
        }
        if (Duration.between(from, to).compareTo(MAX_RANGE) > 0) {
            throw new InvalidRequestException("to", "the range may span at most " + MAX_RANGE.toDays() + " days");
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
    }

    /** A query of calls however they ended. */
    public UsageQuery(
            String tenantId,
            Instant from,
            Instant to,
            @Nullable String tokenId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String provider,
            @Nullable String model) {
        this(tenantId, from, to, tokenId, userId, projectId, provider, model, null);
    }

    public static Builder builder(String tenantId, Instant from, Instant to) {
        return new Builder(tenantId, from, to);
    }

    /** The first hour the query covers. */
    public Instant hourFrom() {
        return Instant.ofEpochMilli(Math.floorDiv(from.toEpochMilli(), 3_600_000L) * 3_600_000L);
    }

    /** The end of the last hour the query covers (exclusive). */
    public Instant hourTo() {
        return Instant.ofEpochMilli(Math.floorDiv(to.toEpochMilli() + 3_599_999L, 3_600_000L) * 3_600_000L);
    }

    /** Builder for {@link UsageQuery}. */
    public static final class Builder {
        private final String tenantId;
        private final Instant from;
        private final Instant to;
        private @Nullable String tokenId;
        private @Nullable String userId;
        private @Nullable String projectId;
        private @Nullable String provider;
        private @Nullable String model;
        private @Nullable CallOutcome outcome;

        private Builder(String tenantId, Instant from, Instant to) {
            this.tenantId = requireNonNull(tenantId, "tenantId");
            this.from = requireNonNull(from, "from");
            this.to = requireNonNull(to, "to");
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

        public UsageQuery build() {
            return new UsageQuery(tenantId, from, to, tokenId, userId, projectId, provider, model, outcome);
        }
    }
}
