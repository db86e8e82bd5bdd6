package dev.tokenkeeper.usage;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.pricing.TokenCounts;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One LLM call, as recorded in the ledger. Build with {@link #builder()}.
 *
 * <p><b>Idempotency.</b> {@code requestId} identifies the call within its tenant. Recording the same
 * event again (same tenant, request id and {@code at}) is counted once, on every instance and after
 * restarts. Give {@code at} the call's own start time so that a retry carries the same value; when
 * it is left out, the time of recording is used, and a retry is then recognised by the instance that
 * recorded the first attempt, within its idempotency window ({@code docs/usage.md}).
 *
 * @param requestId the call's idempotency key, 1 to 128 characters
 * @param tenantId the tenant (must exist)
 * @param tokenId the API token used, if any
 * @param userId the user, if any
 * @param projectId the project, if any
 * @param provider provider id, such as {@code openai}
 * @param model model id as sent to the provider
 * @param counts token counts by category
 * @param latency how long the call took
 * @param outcome how it ended
 * @param source where the counts come from
 * @param at when the call started (UTC); {@code null}: the time of recording, by the keeper's clock
 * @param errorMessage what went wrong, for failed calls (never a secret), at most 1,024 characters
 * @param metadata application metadata (at most 32 entries, 8 KiB)
 * @param runId the agent run or session the call belongs to, or {@code null}: the call counts
 *     against that run's limits, and is stored with the metadata key {@code run_id}
 */
public record UsageEvent(
        String requestId,
        String tenantId,
        @Nullable String tokenId,
        @Nullable String userId,
        @Nullable String projectId,
        String provider,
        String model,
        TokenCounts counts,
        Duration latency,
        CallOutcome outcome,
        UsageSource source,
        @Nullable Instant at,
        @Nullable String errorMessage,
        Map<String, String> metadata,
        @Nullable String runId) {

    public static final int MAX_ERROR_LENGTH = 1024;
    /** The metadata key under which an event's run id is stored. */
    public static final String RUN_ID = "run_id";

    public UsageEvent {
        Checks.identifier("requestId", requestId);
        Checks.instant("at", at);
        Checks.tenantId("tenant", tenantId);
        Checks.optionalIdentifier("tokenId", tokenId);
        Checks.optionalIdentifier("userId", userId);
        Checks.optionalIdentifier("projectId", projectId);
        Checks.provider("provider", provider);
        Checks.model("model", model);
        requireNonNull(counts, "counts");
        Checks.latency("latency", latency);
        requireNonNull(outcome, "outcome");
        requireNonNull(source, "source");
        if (at != null && (at.isBefore(Instant.EPOCH) || at.isAfter(LATEST))) {
            throw new InvalidRequestException("at", "must be between 1970 and the end of 9999, was " + at);
        }
        errorMessage = Checks.truncated(errorMessage, MAX_ERROR_LENGTH);
        Checks.optionalIdentifier("runId", runId);
        metadata = Checks.eventMetadata("metadata", metadata, RUN_ID, runId);
    }

    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

    public static Builder builder() {
        return new Builder();
    }

    /** Builder for {@link UsageEvent}. Not thread-safe. */
    public static final class Builder {
        private @Nullable String requestId;
        private @Nullable String tenantId;
        private @Nullable String tokenId;
        private @Nullable String userId;
        private @Nullable String projectId;
        private @Nullable String runId;
        private @Nullable String provider;
        private @Nullable String model;
        private TokenCounts counts = TokenCounts.NONE;
        private Duration latency = Duration.ZERO;
        private CallOutcome outcome = CallOutcome.SUCCESS;
        private UsageSource source = UsageSource.REPORTED;
        private @Nullable Instant at;
        private @Nullable String errorMessage;
        private final Map<String, String> metadata = new LinkedHashMap<>();

        private Builder() {}

        public Builder requestId(String requestId) {
            this.requestId = requestId;
            return this;
        }

        public Builder tenant(String tenantId) {
            this.tenantId = tenantId;
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

        /** The agent run or session the call belongs to: it counts against that run's limits. */
        public Builder run(@Nullable String runId) {
            this.runId = runId;
            return this;
        }

        public Builder project(@Nullable String projectId) {
            this.projectId = projectId;
            return this;
        }

        public Builder provider(String provider) {
            this.provider = provider;
            return this;
        }

        public Builder model(String model) {
            this.model = model;
            return this;
        }

        public Builder counts(TokenCounts counts) {
            this.counts = counts;
            return this;
        }

        public Builder latency(Duration latency) {
            this.latency = latency;
            return this;
        }

        public Builder outcome(CallOutcome outcome) {
            this.outcome = outcome;
            return this;
        }

        public Builder source(UsageSource source) {
            this.source = source;
            return this;
        }

        /** When the call started; the time of recording when not set. */
        public Builder at(@Nullable Instant at) {
            this.at = at;
            return this;
        }

        public Builder errorMessage(@Nullable String errorMessage) {
            this.errorMessage = errorMessage;
            return this;
        }

        public Builder metadata(String key, String value) {
            this.metadata.put(key, value);
            return this;
        }

        public Builder metadata(Map<String, String> metadata) {
            this.metadata.putAll(metadata);
            return this;
        }

        public UsageEvent build() {
            return new UsageEvent(
                    Checks.required("requestId", requestId),
                    Checks.required("tenant", tenantId),
                    tokenId,
                    userId,
                    projectId,
                    Checks.required("provider", provider),
                    Checks.required("model", model),
                    counts,
                    latency,
                    outcome,
                    source,
                    at,
                    errorMessage,
                    metadata,
                    runId);
        }
    }
}
