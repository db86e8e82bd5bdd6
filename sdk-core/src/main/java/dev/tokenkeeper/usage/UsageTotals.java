package dev.tokenkeeper.usage;

import dev.tokenkeeper.pricing.Money;

/**
 * Sums over a set of calls.
 *
 * @param requests calls
 * @param inputTokens base input tokens
 * @param cachedInputTokens cache reads
 * @param cacheWriteTokens cache writes
 * @param outputTokens generated tokens, reasoning excluded
 * @param reasoningTokens reasoning tokens
 * @param cost exact total cost
 * @param priceMissingRequests calls recorded without a known price
 * @param latencyMillisSum summed latency, for averages
 */
public record UsageTotals(
        long requests,
        long inputTokens,
        long cachedInputTokens,
        long cacheWriteTokens,
        long outputTokens,
        long reasoningTokens,
        Money cost,
        long priceMissingRequests,
        long latencyMillisSum) {

    public static final UsageTotals ZERO = new UsageTotals(0, 0, 0, 0, 0, 0, Money.ZERO, 0, 0);

    /** All tokens of every category. */
    public long totalTokens() {
        return inputTokens + cachedInputTokens + cacheWriteTokens + outputTokens + reasoningTokens;
    }

    /** Mean latency in milliseconds, 0 without calls. */
    public double averageLatencyMillis() {
        return requests == 0 ? 0 : (double) latencyMillisSum / requests;
    }

    public UsageTotals plus(UsageTotals o) {
        return new UsageTotals(
                requests + o.requests,
                inputTokens + o.inputTokens,
                cachedInputTokens + o.cachedInputTokens,
                cacheWriteTokens + o.cacheWriteTokens,
                outputTokens + o.outputTokens,
                reasoningTokens + o.reasoningTokens,
                cost.plus(o.cost),
                priceMissingRequests + o.priceMissingRequests,
                latencyMillisSum + o.latencyMillisSum);
    }
}
