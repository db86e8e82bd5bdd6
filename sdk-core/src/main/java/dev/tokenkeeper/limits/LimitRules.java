package dev.tokenkeeper.limits;

import dev.tokenkeeper.InvalidRequestException;
import java.util.List;
import java.util.TreeSet;

/** The checks shared by {@link LimitSpec} and {@link LimitChange}. */
final class LimitRules {
    static final int MAX_THRESHOLDS = 10;
    /** The largest amount + grace: half the range of a counter, so that overruns cannot overflow it. */
    static final long MAX_UNITS = Long.MAX_VALUE / 2;

    static final int MAX_THRESHOLD_PERCENT = 1_000;

    private LimitRules() {}

    static void amounts(long amount, long grace) {
        if (amount < 1) {
            throw new InvalidRequestException("amount", "must be positive, was " + amount);
        }
        if (grace < 0) {
            throw new InvalidRequestException("grace", "must not be negative, was " + grace);
        }
        if (amount > MAX_UNITS || grace > MAX_UNITS - amount) {
            throw new InvalidRequestException(
                    "amount",
                    "amount + grace must be at most " + MAX_UNITS + " units (for a dollar limit: $"
                            + dev.tokenkeeper.pricing.Money.ofPicos(MAX_UNITS) + ")");
        }
    }

    /** Dollars as picodollars, refusing amounts beyond a counter's range with a typed error. */
    static long picos(String field, dev.tokenkeeper.pricing.Money usd) {
        if (usd.isNegative() || usd.toPicos().compareTo(java.math.BigInteger.valueOf(MAX_UNITS)) > 0) {
            throw new InvalidRequestException(
                    field,
                    "must be between $0 and $" + dev.tokenkeeper.pricing.Money.ofPicos(MAX_UNITS) + ", was $" + usd);
        }
        return usd.toPicosExact();
    }

    static List<Integer> thresholds(List<Integer> percentages) {
        if (percentages == null) {
            throw new InvalidRequestException("alertThresholds", "is required (may be empty)");
        }
        if (percentages.size() > MAX_THRESHOLDS) {
            throw new InvalidRequestException("alertThresholds", "at most " + MAX_THRESHOLDS + " thresholds");
        }
        TreeSet<Integer> sorted = new TreeSet<>();
        for (Integer p : percentages) {
            if (p == null || p < 1 || p > MAX_THRESHOLD_PERCENT) {
                throw new InvalidRequestException(
                        "alertThresholds",
                        "each must be a percentage from 1 to " + MAX_THRESHOLD_PERCENT + ", was " + p);
            }
            if (!sorted.add(p)) {
                throw new InvalidRequestException("alertThresholds", "lists " + p + " twice");
            }
        }
        return List.copyOf(sorted);
    }
}
