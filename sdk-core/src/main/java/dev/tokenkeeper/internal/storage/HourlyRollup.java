package dev.tokenkeeper.internal.storage;

/**
 * An increment of (or a row of) {@code tk_usage_hourly}. Absent dimensions are empty strings.
 */
public record HourlyRollup(
        Key key,
        long requests,
        long inputTokens,
        long cachedInputTokens,
        long cacheWriteTokens,
        long outputTokens,
        long reasoningTokens,
        long costPico,
        long priceMissingRequests,
        long latencyMsSum) {

    /** The order of the primary key of {@code tk_usage_hourly}. */
    public static final java.util.Comparator<HourlyRollup> KEY_ORDER = java.util.Comparator
            .comparing((HourlyRollup r) -> r.key().tenantId())
            .thenComparingLong(r -> r.key().hourStart())
            .thenComparing(r -> r.key().tokenId())
            .thenComparing(r -> r.key().userId())
            .thenComparing(r -> r.key().projectId())
            .thenComparing(r -> r.key().provider())
            .thenComparing(r -> r.key().model())
            .thenComparing(r -> r.key().outcome());

    /** The dimensions of a roll-up row. */
    public record Key(String tenantId, long hourStart, String tokenId, String userId, String projectId,
            String provider, String model, String outcome) {}

    public static HourlyRollup of(UsageRow r) {
        long hour = Math.floorDiv(r.at(), 3_600_000L) * 3_600_000L;
        return new HourlyRollup(
                new Key(r.tenantId(), hour, orEmpty(r.tokenId()), orEmpty(r.userId()), orEmpty(r.projectId()),
                        r.provider(), r.model(), r.outcome()),
                1, r.inputTokens(), r.cachedInputTokens(), r.cacheWriteTokens(), r.outputTokens(), r.reasoningTokens(),
                r.costPico(), r.priceMissing() ? 1 : 0, r.latencyMs());
    }

    /** This increment under its tenant and hour alone, for {@code tk_usage_tenant_hourly}. */
    public HourlyRollup tenantTotal() {
        return new HourlyRollup(new Key(key.tenantId(), key.hourStart(), "", "", "", "", "", ""), requests,
                inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens, reasoningTokens, costPico,
                priceMissingRequests, latencyMsSum);
    }

    public HourlyRollup plus(HourlyRollup o) {
        return new HourlyRollup(key, requests + o.requests, inputTokens + o.inputTokens,
                cachedInputTokens + o.cachedInputTokens, cacheWriteTokens + o.cacheWriteTokens,
                outputTokens + o.outputTokens, reasoningTokens + o.reasoningTokens, Math.addExact(costPico, o.costPico),
                priceMissingRequests + o.priceMissingRequests, latencyMsSum + o.latencyMsSum);
    }

    private static String orEmpty(@org.jspecify.annotations.Nullable String s) {
        return s == null ? "" : s;
    }
}
