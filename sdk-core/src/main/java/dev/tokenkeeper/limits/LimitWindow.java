package dev.tokenkeeper.limits;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One window of a limit's period: usage is counted per window, and a new window starts at zero.
 *
 * @param start the first instant of the window
 * @param end the first instant after it, or {@code null} for {@link LimitPeriod#TOTAL}
 */
public record LimitWindow(Instant start, @Nullable Instant end) {
    /** Whether {@code t} falls in this window. */
    public boolean contains(Instant t) {
        return !t.isBefore(start) && (end == null || t.isBefore(end));
    }
}
