package dev.tokenkeeper.limits;

import dev.tokenkeeper.InvalidRequestException;
import java.util.List;
import java.util.TreeSet;

/** The checks shared by {@link LimitSpec} and {@link LimitChange}. */
final class LimitRules {
    static final int MAX_THRESHOLDS = 10;
    static final int MAX_THRESHOLD_PERCENT = 1_000;

    private LimitRules() {}

    static void amounts(long amount, long grace) {
        if (amount < 1) {
            throw new InvalidRequestException("amount", "must be positive, was " + amount);
        }
        if (grace < 0) {
            throw new InvalidRequestException("grace", "must not be negative, was " + grace);
        }
        if (amount > Long.MAX_VALUE / 4 || grace > Long.MAX_VALUE / 4) {
            throw new InvalidRequestException("amount", "is too large");
        }
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
                throw new InvalidRequestException("alertThresholds",
                        "each must be a percentage from 1 to " + MAX_THRESHOLD_PERCENT + ", was " + p);
            }
            if (!sorted.add(p)) {
                throw new InvalidRequestException("alertThresholds", "lists " + p + " twice");
            }
        }
        return List.copyOf(sorted);
    }
}
