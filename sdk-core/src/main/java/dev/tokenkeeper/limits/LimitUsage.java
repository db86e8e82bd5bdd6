package dev.tokenkeeper.limits;

/**
 * How much of a limit's current window is used.
 *
 * @param limit the limit
 * @param window the window
 * @param used what the ledger has counted in the window (committed usage), in the limit's unit;
 *     always 0 for a rate limit, whose usage is not stored
 * @param reserved what calls in flight hold in the window: on every instance with shared budgets
 *     (including, with budget leasing, what is leased to instances and not yet used by a call), on
 *     this instance otherwise
 */
public record LimitUsage(Limit limit, LimitWindow window, long used, long reserved) {
    /** What is left before the amount is reached (negative when usage went into grace or beyond). */
    public long remaining() {
        return limit.amount() - used - reserved;
    }

    /**
     * {@link #used()} in dollars, for a {@link LimitMetric#COST_USD} limit.
     *
     * @throws IllegalStateException for a limit of another metric
     */
    public dev.tokenkeeper.pricing.Money usedUsd() {
        limit.amountUsd(); // checks the metric
        return dev.tokenkeeper.pricing.Money.ofPicos(used);
    }

    /** {@link #reserved()} in dollars, for a {@link LimitMetric#COST_USD} limit. */
    public dev.tokenkeeper.pricing.Money reservedUsd() {
        limit.amountUsd();
        return dev.tokenkeeper.pricing.Money.ofPicos(reserved);
    }

    /** {@link #remaining()} in dollars, for a {@link LimitMetric#COST_USD} limit. */
    public dev.tokenkeeper.pricing.Money remainingUsd() {
        limit.amountUsd();
        return dev.tokenkeeper.pricing.Money.ofPicos(remaining());
    }

    /** The usage in the limit's own unit, dollars shown as dollars. */
    @Override
    public String toString() {
        return "LimitUsage[limit=" + limit.id() + " (" + limit.name() + "), window=" + window + ", used="
                + limit.metric().format(used) + ", reserved=" + limit.metric().format(reserved) + ", of "
                + limit.metric().format(limit.amount())
                + "]";
    }
}
