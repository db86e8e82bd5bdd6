package dev.tokenkeeper.internal.usage;

import dev.tokenkeeper.internal.DefaultPricingService.PicoCost;
import dev.tokenkeeper.internal.limits.Budgets;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.UsageRow;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/** What the ledger's queue holds: events to store, and the marks of {@code flush} calls. */
sealed interface LedgerItem permits LedgerItem.Event, LedgerItem.FlushMarker {

    /**
     * An event to store, with what it adds to the budget counters and whether those were added to this
     * instance's counters already.
     */
    sealed interface Event extends LedgerItem permits Pending, Settled {
        List<LimitCharge> charges();

        boolean counted();

        /** The event's stored reservations, released with it. */
        List<String> reservations();

        /** The usage the event took from leases, which leaves them with it. */
        List<Budgets.LeaseUse> leaseUses();

        /** When the event was queued (the clock's millis). */
        long queuedAt();
    }

    /** A queued event, its row ready. */
    record Pending(
            UsageRow row,
            List<LimitCharge> charges,
            boolean counted,
            List<String> reservations,
            List<Budgets.LeaseUse> leaseUses,
            long queuedAt)
            implements Event {}

    /**
     * A permit's event as its caller queues it: accounted for (cost computed, budgets settled), but
     * without its request key, its id and its row, which the writer makes (see {@link #resolve}) after
     * looking the request up among the recent requests, off the caller's path. The caller's
     * {@code RecordedUsage} makes the same id from the same facts if it is asked for it.
     *
     * @param facts the event's checked fields
     * @param cost its cost, computed at {@code at}
     * @param at the time the caller stamped it with (Unix milliseconds)
     * @param ids the request keys and event ids of the database
     */
    record Settled(
            EventFacts facts,
            PicoCost cost,
            long at,
            EventIds ids,
            List<LimitCharge> charges,
            boolean counted,
            List<String> reservations,
            List<Budgets.LeaseUse> leaseUses,
            long queuedAt)
            implements Event, Supplier<String> {
        /**
         * The event's id as the caller's {@code RecordedUsage} gives it: the id the writer makes from the
         * same facts (see {@link #resolve}) unless an earlier attempt re-stamped it.
         */
        @Override
        public String get() {
            return ids.id(at, facts.tenantId(), facts.requestId());
        }

        /**
         * The event with its row, remembered among the recent requests. If an earlier attempt under the
         * same request id was recorded with another time (a re-stamped record of that request), the
         * event takes that attempt's id and time: stored already, it is then a duplicate, and what its
         * permit counted is taken back after the batch, as for any duplicate; not stored yet, the later
         * one is.
         */
        Pending resolve(RecentRequests recent) {
            EventIds.RequestKey key = ids.key(facts.tenantId(), facts.requestId());
            long firstAt = recent.firstAt(key, at);
            long stamped = firstAt == RecentRequests.NONE ? at : firstAt;
            UsageRow row = facts.toRow(cost, stamped, EventIds.of(stamped, key));
            return new Pending(row, charges, counted, reservations, leaseUses, queuedAt);
        }
    }

    /** Opened when every item before it was written (or could not be). */
    record FlushMarker(CountDownLatch done) implements LedgerItem {}
}
