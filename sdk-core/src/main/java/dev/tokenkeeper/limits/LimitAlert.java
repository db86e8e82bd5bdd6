package dev.tokenkeeper.limits;

import java.time.Instant;

/**
 * A limit's usage crossed one of its alert thresholds, or went into its grace allowance, in one
 * window. Each is announced once per limit, window and threshold, across instances and restarts.
 *
 * @param limit the limit
 * @param window the window
 * @param kind a percentage threshold, or grace
 * @param thresholdPercent the threshold crossed, in percent of the amount ({@code 0} for grace)
 * @param used what the window has used, in the limit's unit, when the crossing was recorded
 * @param at when it was recorded
 */
public record LimitAlert(Limit limit, LimitWindow window, Kind kind, int thresholdPercent, long used, Instant at) {
    public enum Kind {
        /** Usage reached {@code thresholdPercent} % of the amount. */
        THRESHOLD,
        /** Usage went beyond the amount, into the grace allowance. */
        GRACE
    }
}
