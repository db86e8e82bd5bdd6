package dev.tokenkeeper.limits;

/** What a limit counts; its amount and grace are in this metric's unit. */
public enum LimitMetric {
    /** Tokens of every category (input, cached input, cache writes, output, reasoning). */
    TOKENS,
    /** Cost in US dollars, counted in whole picodollars (10⁻¹² USD), exactly. */
    COST_USD,
    /** Calls. */
    REQUESTS;

    /**
     * The most a rate limit ({@link LimitPeriod#ROLLING_MINUTE}) may hold, amount + grace, in
     * {@link #rateUnits rate units}: Bucket4j refills at most one unit per nanosecond.
     */
    public static final long MAX_RATE_UNITS = 60_000_000_000L;

    /**
     * What a rate limit's bucket counts for {@code units} of this metric: dollars in whole
     * microdollars (rounded up, so a call always counts), tokens and requests as they are.
     */
    public long rateUnits(long units) {
        return this == COST_USD ? -Math.floorDiv(-units, 1_000_000L) : units;
    }

    /** The inverse of {@link #rateUnits}, for reporting. */
    public long fromRateUnits(long rateUnits) {
        return this == COST_USD ? Math.multiplyExact(rateUnits, 1_000_000L) : rateUnits;
    }
}
