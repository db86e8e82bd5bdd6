package dev.tokenkeeper.internal.storage;

import org.jspecify.annotations.Nullable;

/** A row of {@code tk_usage_events}: one call, costs in picodollars. */
public record UsageRow(
        String id,
        String tenantId,
        String requestId,
        long at,
        @Nullable String tokenId,
        @Nullable String userId,
        @Nullable String projectId,
        String provider,
        String model,
        long inputTokens,
        long cachedInputTokens,
        long cacheWriteTokens,
        long outputTokens,
        long reasoningTokens,
        long costInputPico,
        long costCachedInputPico,
        long costCacheWritePico,
        long costOutputPico,
        long costReasoningPico,
        long costPico,
        boolean priceMissing,
        long latencyMs,
        String outcome,
        String usageSource,
        @Nullable String errorMessage,
        String metadataJson) {}
