package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import java.util.Locale;

/**
 * What a rate limit's Bucket4j bucket counts: dollars in whole microdollars (rounded up, so that a
 * call always counts), tokens and requests as they are.
 */
public final class RateUnits {
    /**
     * The most a rate limit ({@link LimitPeriod#ROLLING_MINUTE}) may hold, amount + grace, in rate
     * units: Bucket4j refills at most one unit per nanosecond.
     */
    public static final long MAX = 60_000_000_000L;

    private RateUnits() {}

    /** The rate units of {@code units} of the metric. */
    public static long of(LimitMetric metric, long units) {
        return metric == LimitMetric.COST_USD ? -Math.floorDiv(-units, 1_000_000L) : units;
    }

    /** The inverse of {@link #of}, for reporting. */
    public static long toMetric(LimitMetric metric, long rateUnits) {
        return metric == LimitMetric.COST_USD ? Math.multiplyExact(rateUnits, 1_000_000L) : rateUnits;
    }

    /** A rate limit's bucket must fit Bucket4j's refill rate: amount + grace at most {@link #MAX} rate units. */
    public static void checkFits(LimitMetric metric, LimitPeriod period, long amount, long grace) {
        if (period.rolling() && of(metric, amount + grace) > MAX) {
            throw new InvalidRequestException(
                    "amount",
                    "a rate limit may hold at most " + MAX + " "
                            + (metric == LimitMetric.COST_USD
                                    ? "microdollars ($60,000)"
                                    : metric.name().toLowerCase(Locale.ROOT))
                            + " per minute, amount + grace");
        }
    }
}
