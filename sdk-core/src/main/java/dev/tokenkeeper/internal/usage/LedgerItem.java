package dev.tokenkeeper.internal.usage;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.internal.limits.Budgets;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.UsageRow;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/** What the ledger's queue holds: events to store, and the marks of {@code flush} calls. */
sealed interface LedgerItem permits LedgerItem.Pending, LedgerItem.FlushMarker {

    /**
     * A queued event with what it adds to the budget counters, and whether those were added to this
     * instance's counters already.
     *
     * @param remember the request key of a permit's event, for the writer to remember (see
     *     {@link LedgerWriter}); {@code null} when the caller looked the request up already
     * @param reservations the event's stored reservations, released with it
     * @param leaseUses the usage the event took from leases, which leaves them with it
     * @param queuedAt when the event was queued (the clock's millis)
     */
    record Pending(
            UsageRow row,
            EventIds.@Nullable RequestKey remember,
            List<LimitCharge> charges,
            boolean counted,
            List<String> reservations,
            List<Budgets.LeaseUse> leaseUses,
            long queuedAt)
            implements LedgerItem {
        Pending withFirstAttempt(long firstAt) {
            UsageRow r = row.withIdAndTime(EventIds.of(firstAt, requireNonNull(remember)), firstAt);
            return new Pending(r, null, charges, counted, reservations, leaseUses, queuedAt);
        }
    }

    /** Opened when every item before it was written (or could not be). */
    record FlushMarker(CountDownLatch done) implements LedgerItem {}
}
