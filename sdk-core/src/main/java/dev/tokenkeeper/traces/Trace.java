package dev.tokenkeeper.traces;

import dev.tokenkeeper.pricing.Cost;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One recorded call. Never holds a secret.
 *
 * @param id the trace id (the ledger's event id)
 * @param tenantId tenant
 * @param requestId the caller's request id
 * @param at when the call started
 * @param tokenId token, if any
 * @param userId user, if any
 * @param projectId project, if any
 * @param provider provider
 * @param model model
 * @param counts tokens by category
 * @param cost exact cost, split per category ({@code price} is not kept with a trace)
 * @param latency duration
 * @param outcome how it ended
 * @param source where the counts came from
 * @param errorMessage what went wrong, if anything
 * @param metadata application metadata
 */
public record Trace(
        String id,
        String tenantId,
        String requestId,
        Instant at,
        @Nullable String tokenId,
        @Nullable String userId,
        @Nullable String projectId,
        String provider,
        String model,
        TokenCounts counts,
        Cost cost,
        Duration latency,
        CallOutcome outcome,
        UsageSource source,
        @Nullable String errorMessage,
        Map<String, String> metadata) {}
