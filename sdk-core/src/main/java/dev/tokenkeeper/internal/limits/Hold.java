package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitWindow;
import io.github.bucket4j.Bucket;

/**
 * A reservation a call holds on one limit until it completes or is released: one kind per place
 * where reservations live.
 */
public sealed interface Hold permits Hold.OnCounter, Hold.InBucket, Hold.Stored, Hold.Leased {
    Limit limit();

    LimitWindow window();

    /** The units held, in the limit's metric (a bucket's in its rate units). */
    long units();

    /** What the limit's window had claimed with this hold taken, in the limit's metric. */
    long claimed();

    /** Whether the reservation went beyond the limit's amount, into its grace. */
    default boolean inGrace() {
        return claimed() > limit().amount();
    }

    /** On this instance's counter of a budget's window (budgets not shared). */
    record OnCounter(Limit limit, LimitWindow window, LocalCounters.Counter counter, long units, long claimed)
            implements Hold {}

    /** In a rolling-minute rate limit's token bucket, local or remote. */
    record InBucket(Limit limit, LimitWindow window, Bucket bucket, long units, long claimed) implements Hold {}

    /** A reservation row in the database (shared budgets reserved call by call). */
    record Stored(Limit limit, LimitWindow window, String reservationId, long units, long claimed) implements Hold {}

    /** Taken from this instance's lease on the budget's window (leased shared budgets). */
    record Leased(Limit limit, LimitWindow window, Leases.Lease lease, long units, long claimed) implements Hold {}
}
