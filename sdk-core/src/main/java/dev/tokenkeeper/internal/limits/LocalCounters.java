package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitWindow;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The budget counters of this instance: per limit and window, what the ledger has counted plus the
 * reservations of calls in flight ({@code claimed}; the reservations alone are the open permits' to
 * tell, see {@code Admissions#reservedOnThisInstance}). A counter is
 * loaded from {@code tk_limit_counters} on first use; afterwards every recorded event adds to it at
 * once (the ledger's writer adds the same amounts to the table, in the transaction of the event).
 * Reservations (budgets not shared) are compare-and-set loops on {@code claimed} against amount +
 * grace, so concurrent callers cannot overshoot and a call that fits is never refused.
 */
final class LocalCounters implements BudgetStrategy {
    private final Storage storage;
    private final ConcurrentHashMap<LimitCharge.Key, Counter> counters = new ConcurrentHashMap<>();

    /**
     * One limit's counter in one window. Its amount is a field of its own, updated through an
     * {@link AtomicLongFieldUpdater}, so that a call's compare-and-set touches one object, not two. (A
     * second amount, the usage alone, cost a call two more atomic steps per budget, for a figure that
     * only the limit's status shows: the open permits give it instead.)
     */
    static final class Counter {
        private static final AtomicLongFieldUpdater<Counter> CLAIMED =
                AtomicLongFieldUpdater.newUpdater(Counter.class, "claimed");

        private volatile long claimed;
        /** Set when the counter leaves the map: a hint to it no longer serves. */
        private volatile boolean retired;

        final long windowStart;
        final long windowEnd;
        /** The window as {@link Limit#windowAt} gave it when the counter was first looked up. */
        final LimitWindow window;

        Counter(long used, LimitWindow window) {
            this.claimed = used;
            this.window = window;
            this.windowStart = window.start().toEpochMilli();
            this.windowEnd = Budgets.end(window);
        }

        /** Whether this counter's window contains {@code atMillis}. */
        boolean contains(long atMillis) {
            return atMillis >= windowStart && atMillis < windowEnd;
        }

        /** Whether this counter is the live one of the window containing {@code atMillis}. */
        boolean serves(long atMillis) {
            return contains(atMillis) && !retired;
        }

        long claimed() {
            return claimed;
        }

        boolean casClaimed(long expected, long value) {
            return CLAIMED.compareAndSet(this, expected, value);
        }

        void addClaimed(long delta) {
            CLAIMED.addAndGet(this, delta);
        }
    }

    LocalCounters(Storage storage) {
        this.storage = storage;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code hints[i]}, when given, is the counter {@code limits.get(i)} used last (shared by the
     * calls of one token while its limits do not change): while it is live and its window contains
     * {@code at}, it serves without computing the window or looking the counter up, which would
     * otherwise take a few cache misses per budget. A hint that no longer serves is replaced.
     */
    @Override
    public int reserve(
            List<Limit> limits,
            long[] units,
            Instant at,
            Ids.Deferred permitKey,
            long expiresAt,
            List<Hold> into,
            @Nullable Object @Nullable [] hints) {
        long atMillis = at.toEpochMilli();
        for (int i = 0; i < limits.size(); i++) {
            Limit l = limits.get(i);
            if (l.period().rolling()) {
                continue;
            }
            Counter c;
            if (hints != null && hints[i] instanceof Counter h && h.serves(atMillis)) {
                c = h;
            } else {
                c = counter(l, l.windowAt(at));
                if (hints != null) {
                    hints[i] = c; // racy, harmlessly: any live counter of the window serves
                }
            }
            LimitWindow w = c.window;
            long n = units[i];
            long cap = l.amount() + l.grace();
            long before;
            do {
                before = c.claimed();
                if (before + n > cap) {
                    return i;
                }
            } while (!c.casClaimed(before, before + n));
            into.add(new Hold.OnCounter(l, w, c, n, before + n));
        }
        return -1;
    }

    /** Gives a reservation back. */
    void release(Hold.OnCounter h) {
        h.counter().addClaimed(-h.units());
    }

    /** Adds (or, with {@code sign} -1, takes back) recorded usage to the counters. */
    void add(List<LimitCharge> charges, int sign) {
        for (LimitCharge c : charges) {
            // loaded first if needed: the table does not hold this event yet (it is queued after this)
            counter(c).addClaimed(sign * c.units());
        }
    }

    /**
     * Turns the counter reservations among {@code holds} into the recorded usage of {@code charges},
     * one atomic step per counter: a counter with both a hold and a charge moves by the difference,
     * so no concurrent caller sees the reservation and the usage at once (a phantom refusal) or
     * neither (an overshoot). Marks in {@code settled} the holds it turned into usage.
     */
    void settle(List<LimitCharge> charges, List<Hold> holds, boolean[] settled) {
        int n = holds.size();
        int from = 0; // charges and holds follow the limits' order: a charge's hold is usually the next one
        for (int ci = 0; ci < charges.size(); ci++) {
            LimitCharge c = charges.get(ci);
            Counter counter = null;
            long reserved = 0;
            for (int k = 0; k < n; k++) {
                int i = from + k < n ? from + k : from + k - n;
                if (!settled[i]
                        && holds.get(i) instanceof Hold.OnCounter h
                        && h.counter().windowStart == c.windowStart()
                        && h.limit().id().equals(c.limitId())) {
                    counter = h.counter(); // the counter the reservation was taken on
                    reserved = h.units();
                    settled[i] = true;
                    from = i + 1;
                    break;
                }
            }
            if (counter == null) {
                counter = counter(c);
            }
            if (c.units() != reserved) {
                counter.addClaimed(c.units() - reserved);
            }
        }
    }

    private Counter counter(Limit limit, LimitWindow window) {
        return counter(limit.id(), window.start().toEpochMilli(), Budgets.end(window), window);
    }

    private Counter counter(LimitCharge charge) {
        return counter(charge.limitId(), charge.windowStart(), charge.windowEnd(), null);
    }

    /** The live counter of a window, loaded from the table if this instance has none yet. */
    private Counter counter(String limitId, long windowStart, long windowEnd, @Nullable LimitWindow window) {
        LimitCharge.Key key = new LimitCharge.Key(limitId, windowStart);
        Counter c = counters.get(key); // the common case, without computeIfAbsent's lock and lambda
        return c != null
                ? c
                : counters.computeIfAbsent(
                        key,
                        k -> new Counter(
                                storage.read(tx -> storage.counters().used(tx, limitId, windowStart)),
                                window != null
                                        ? window
                                        : new LimitWindow(
                                                Instant.ofEpochMilli(windowStart),
                                                windowEnd == Long.MAX_VALUE ? null : Instant.ofEpochMilli(windowEnd))));
    }

    void forget(String limitId) {
        retireIf(e -> e.getKey().limitId().equals(limitId));
    }

    /** Drops the counters of windows that ended before {@code now} (their usage is in the table). */
    void evictEnded(Instant now) {
        long t = now.toEpochMilli();
        retireIf(e -> e.getValue().windowEnd <= t);
    }

    /** Removes the counters that {@code gone} selects, marking each retired so that no hint serves it. */
    private void retireIf(Predicate<Map.Entry<LimitCharge.Key, Counter>> gone) {
        counters.entrySet().removeIf(e -> {
            if (!gone.test(e)) {
                return false;
            }
            e.getValue().retired = true;
            return true;
        });
    }
}
