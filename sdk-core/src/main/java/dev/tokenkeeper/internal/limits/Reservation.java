package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitWindow;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of a reservation over every applicable limit: all held, or the limit that refused,
 * with its window (a budget) or how long to wait (a rate limit).
 *
 * @param backendDown whether the refusing rate limit's backend did not answer
 */
public record Reservation(
        List<Hold> holds,
        @Nullable Limit refusedBy,
        @Nullable LimitWindow refusedWindow,
        @Nullable Duration retryAfter,
        boolean backendDown) {

    static Reservation granted(List<Hold> holds) {
        return new Reservation(holds, null, null, null, false);
    }

    static Reservation refused(Limit limit, LimitWindow window, @Nullable Duration retryAfter) {
        return new Reservation(List.of(), limit, window, retryAfter, false);
    }

    static Reservation backendDown(Limit limit, LimitWindow window) {
        return new Reservation(List.of(), limit, window, Duration.ofSeconds(1), true);
    }

    public boolean granted() {
        return refusedBy == null;
    }

    /** The limit that refused; only for a reservation not granted. */
    public Limit refuser() {
        return Objects.requireNonNull(refusedBy, "granted: no limit refused");
    }

    /** The window of the limit that refused; only for a reservation not granted. */
    public LimitWindow refuserWindow() {
        return Objects.requireNonNull(refusedWindow, "granted: no window refused");
    }
}
