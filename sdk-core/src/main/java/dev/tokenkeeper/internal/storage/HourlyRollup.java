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
    public static final java.util.Comparator<HourlyRollup> KEY_ORDER =
            (a, b) -> a.key().compareTo(b.key());

    /** The dimensions of a roll-up row. */
    public record Key(
            String tenantId,
            long hourStart,
            String tokenId,
            String userId,
            String projectId,
            String provider,
            String model,
            String outcome)
            implements Comparable<Key> {

        /** No key: for sums filed under a key of their own (per tenant, per dimension value). */
        public static final Key NONE = new Key("", 0, "", "", "", "", "", "");

        /** The key of the roll-up row that {@code r} adds to. */
        public static Key of(UsageRow r) {
            return new Key(
                    r.tenantId(),
                    Math.floorDiv(r.at(), HOUR) * HOUR,
                    orEmpty(r.tokenId()),
                    orEmpty(r.userId()),
                    orEmpty(r.projectId()),
                    r.provider(),
                    r.model(),
                    r.outcome());
        }

        /** The primary key's order: written in this order, two writers lock shared rows alike. */
        @Override
        public int compareTo(Key o) {
            int c = tenantId.compareTo(o.tenantId);
            if (c == 0) {
                c = Long.compare(hourStart, o.hourStart);
            }
            if (c == 0) {
                c = tokenId.compareTo(o.tokenId);
            }
            if (c == 0) {
                c = userId.compareTo(o.userId);
            }
            if (c == 0) {
                c = projectId.compareTo(o.projectId);
            }
            if (c == 0) {
                c = provider.compareTo(o.provider);
            }
            if (c == 0) {
                c = model.compareTo(o.model);
            }
            return c != 0 ? c : outcome.compareTo(o.outcome);
        }
    }

    private static final long HOUR = 3_600_000L;

    /**
     * Mutable sums for aggregating a batch: one per roll-up row, added to in place, so that
     * aggregating allocates per row written rather than per event. Not thread-safe.
     */
    public static final class Sums {
        private long requests;
        private long inputTokens;
        private long cachedInputTokens;
        private long cacheWriteTokens;
        private long outputTokens;
        private long reasoningTokens;
        private long costPico;
        private long priceMissingRequests;
        private long latencyMsSum;

        /** Adds one event. */
        public Sums add(UsageRow r) {
            requests++;
            inputTokens += r.inputTokens();
            cachedInputTokens += r.cachedInputTokens();
            cacheWriteTokens += r.cacheWriteTokens();
            outputTokens += r.outputTokens();
            reasoningTokens += r.reasoningTokens();
            costPico = Math.addExact(costPico, r.costPico());
            priceMissingRequests += r.priceMissing() ? 1 : 0;
            latencyMsSum += r.latencyMs();
            return this;
        }

        /** Adds an increment's sums. */
        public Sums add(HourlyRollup r) {
            requests += r.requests;
            inputTokens += r.inputTokens;
            cachedInputTokens += r.cachedInputTokens;
            cacheWriteTokens += r.cacheWriteTokens;
            outputTokens += r.outputTokens;
            reasoningTokens += r.reasoningTokens;
            costPico = Math.addExact(costPico, r.costPico);
            priceMissingRequests += r.priceMissingRequests;
            latencyMsSum += r.latencyMsSum;
            return this;
        }

        public HourlyRollup toRollup(Key key) {
            return new HourlyRollup(
                    key,
                    requests,
                    inputTokens,
                    cachedInputTokens,
                    cacheWriteTokens,
                    outputTokens,
                    reasoningTokens,
                    costPico,
                    priceMissingRequests,
                    latencyMsSum);
        }
    }

    private static String orEmpty(@org.jspecify.annotations.Nullable String s) {
        return s == null ? "" : s;
    }
}
