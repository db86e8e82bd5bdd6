package dev.tokenkeeper.internal.usage;

import dev.tokenkeeper.internal.DefaultPricingService.PicoCost;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.internal.util.Json;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageEvent;
import dev.tokenkeeper.usage.UsageSource;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The fields of a usage event, already checked: those of a {@link UsageEvent}, or those of a permit's
 * completion, whose principal and call were checked when the token was issued and the call authorized,
 * and whose completion fields go through the same checks as a {@code UsageEvent}'s (see
 * {@code Admissions}). Recording a permit's call builds no {@code UsageEvent} unless a listener wants one.
 */
public record EventFacts(
        @Nullable String givenRequestId,
        Ids.@Nullable Deferred permitId,
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

    /**
     * @param givenRequestId the request id as the caller gave it, or {@code null} for a permit's own id
     * @param permitId the id of the permit whose call this is, the request id when none was given:
     *     written out when first needed, by the ledger's writer unless the caller reads it first
     */
    public EventFacts {
        if ((givenRequestId == null) == (permitId == null)) {
            throw new IllegalArgumentException("either a given request id or a permit's id, not both or neither");
        }
    }

    /** The event's request id: the one given, or the permit's. */
    public String requestId() {
        return givenRequestId != null ? givenRequestId : String.valueOf(permitId);
    }

    static EventFacts of(UsageEvent e) {
        return new EventFacts(
                e.requestId(),
                null,
                e.tenantId(),
                e.tokenId(),
                e.userId(),
                e.projectId(),
                e.provider(),
                e.model(),
                e.counts(),
                e.latency(),
                e.outcome(),
                e.source(),
                e.at(),
                e.errorMessage(),
                e.metadata(),
                e.runId());
    }

    /** The event's row in the ledger, stamped {@code at} (Unix milliseconds) under {@code id}. */
    UsageRow toRow(PicoCost cost, long at, String id) {
        return new UsageRow(
                id,
                tenantId,
                requestId(),
                at,
                tokenId,
                userId,
                projectId,
                provider,
                model,
                counts.input(),
                counts.cachedInput(),
                counts.cacheWrite(),
                counts.output(),
                counts.reasoning(),
                cost.input(),
                cost.cachedInput(),
                cost.cacheWrite(),
                cost.output(),
                cost.reasoning(),
                cost.total(),
                cost.priceMissing(),
                latency.toMillis(),
                outcome.name(),
                source.name(),
                errorMessage,
                metadata.isEmpty() ? "{}" : Json.write(metadata));
    }

    /** The public form, for listeners. */
    UsageEvent toEvent() {
        return new UsageEvent(
                requestId(),
                tenantId,
                tokenId,
                userId,
                projectId,
                provider,
                model,
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
