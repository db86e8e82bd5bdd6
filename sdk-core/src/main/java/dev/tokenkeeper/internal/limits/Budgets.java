package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitWindow;
import dev.tokenkeeper.pricing.TokenCounts;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Reservations on the limits of a call and their settlement: rate limits in their buckets
 * ({@link RateLimits}), budgets through the strategy chosen when the keeper is built
 * ({@link LocalCounters}, {@link StoredReservations} or {@link LeasedBudgets}), and this instance's
 * counters, which see every recorded event at once whatever the strategy.
 */
public final class Budgets {
    private final Storage storage;
    private final LocalCounters counters;
    private final RateLimits rates;
    private final BudgetStrategy strategy;
    private final @Nullable StoredReservations stored;
    private final @Nullable Leases leases;

    /** Usage taken from a lease, to leave it when the ledger commits the usage. */
    public record LeaseUse(Leases.Lease lease, long units) {}

    /**
     * @param shared whether budgets are shared through the database
     * @param leases with shared budgets, the leases to reserve from; {@code null} to reserve call by call
     */
    public Budgets(
            Storage storage,
            Clock clock,
            RateBuckets rateBuckets,
            StorageFailurePolicy rateLimitFailurePolicy,
            boolean shared,
            @Nullable Leases leases) {
        this.storage = storage;
        this.counters = new LocalCounters(storage);
        this.rates = new RateLimits(rateBuckets, rateLimitFailurePolicy, clock);
        this.leases = shared ? leases : null;
        this.stored = shared ? new StoredReservations(storage) : null; // lease rows are reservation rows too
        this.strategy =
                !shared ? counters : leases != null ? new LeasedBudgets(leases) : Objects.requireNonNull(stored);
    }

    /**
     * Reserves {@code units[i]} on {@code applicable.get(i)}'s current window for every limit, or none:
     * the rate limits first, then the budgets; the first limit that cannot take its units refuses,
     * and what was reserved before it is given back.
     *
     * @param permitKey the permit's key, unique per call
     * @param expiresAt with shared budgets, when (epoch millis) a reservation left behind by a stopped instance expires
     * @param hints {@code null}, or a slot per limit of {@code applicable}, kept by the caller with that
     *     list for its next calls: the budget strategy's memory of where each limit's state was
     */
    public Reservation reserve(
            List<Limit> applicable,
            Instant at,
            long[] units,
            Ids.Deferred permitKey,
            long expiresAt,
            @Nullable Object @Nullable [] hints) {
        List<Hold> holds = new ArrayList<>(applicable.size());
        try {
            boolean anyBudget = false;
            boolean anyRate = false;
            for (Limit l : applicable) {
                if (l.period().rolling()) {
                    anyRate = true;
                } else {
                    anyBudget = true;
                }
            }
            if (anyRate) {
                Reservation refused = rates.reserve(applicable, units, at, holds);
                if (refused != null) {
                    release(holds);
                    return refused;
                }
            }
            if (anyBudget) {
                int refuser = strategy.reserve(applicable, units, at, permitKey, expiresAt, holds, hints);
                if (refuser >= 0) {
                    release(holds);
                    Limit l = applicable.get(refuser);
                    return Reservation.refused(l, l.windowAt(at), null);
                }
            }
        } catch (RuntimeException e) {
            release(holds);
            throw e;
        }
        return Reservation.granted(holds);
    }

    /** Takes {@code units[i]} from each rate limit among {@code rateLimits}, all or none (one HTTP request). */
    public Reservation reserveRates(List<Limit> rateLimits, Instant at, long[] units) {
        List<Hold> holds = new ArrayList<>(rateLimits.size());
        Reservation refused;
        try {
            refused = rates.reserve(rateLimits, units, at, holds);
        } catch (RuntimeException e) {
            release(holds);
            throw e;
        }
        if (refused != null) {
            release(holds);
            return refused;
        }
        return Reservation.granted(holds);
    }

    /** The units of a call for a limit's metric. */
    public static long units(LimitMetric metric, TokenCounts counts, long costPicos) {
        return switch (metric) {
            case TOKENS ->
                counts.input() + counts.cachedInput() + counts.cacheWrite() + counts.output() + counts.reasoning();
            case COST_USD -> costPicos;
            case REQUESTS -> 1;
        };
    }

    static long end(LimitWindow w) {
        return w.end() == null ? Long.MAX_VALUE : w.end().toEpochMilli();
    }

    /**
     * What an event adds to each budget that applies to it (rate limits count in their buckets only).
     * A window that one of {@code holds} was reserved in serves again when it contains the event's time.
     */
    public List<LimitCharge> charges(
            List<Limit> applicable, List<Hold> holds, long atMillis, TokenCounts counts, long costPicos) {
        if (applicable.isEmpty()) {
            return List.of();
        }
        @Nullable Instant at = null;
        List<LimitCharge> charges = new ArrayList<>(applicable.size());
        for (Limit l : applicable) {
            if (l.period().rolling()) {
                continue;
            }
            long start;
            long end;
            LocalCounters.Counter held = heldCounter(holds, l, atMillis);
            if (held != null) {
                start = held.windowStart;
                end = held.windowEnd;
            } else {
                if (at == null) {
                    at = Instant.ofEpochMilli(atMillis);
                }
                LimitWindow w = l.windowAt(at);
                start = w.start().toEpochMilli();
                end = end(w);
            }
            charges.add(new LimitCharge(l.id(), start, end, units(l.metric(), counts, costPicos)));
        }
        return charges;
    }

    /**
     * The counter a hold among {@code holds} reserved on for {@code limit}, if its window contains the
     * time. By identity: a hold serves only the very limit it was taken for (a changed limit is
     * another object, whose window is computed anew).
     */
    @SuppressWarnings("ReferenceEquality")
    private static LocalCounters.@Nullable Counter heldCounter(List<Hold> holds, Limit limit, long atMillis) {
        for (int i = 0; i < holds.size(); i++) {
            if (holds.get(i) instanceof Hold.OnCounter h
                    && h.limit() == limit
                    && h.counter().contains(atMillis)) {
                return h.counter();
            }
        }
        return null;
    }

    /** Adds (or, with {@code sign} -1, takes back) recorded usage to this instance's counters. */
    public void add(List<LimitCharge> charges, int sign) {
        counters.add(charges, sign);
    }

    /** Whether budgets are reserved in the database call by call (shared budgets without leasing). */
    public boolean reservesCallByCall() {
        return strategy instanceof StoredReservations;
    }

    /**
     * A call completed: with shared budgets reserved call by call, sets each of its reservations to
     * the real usage, so that the counters see it before the ledger does.
     */
    public void beforeRecord(List<Hold> holds, TokenCounts actual, long actualCostPicos) {
        if (stored == null || !reservesCallByCall()) {
            return;
        }
        List<Hold.Stored> rows = new ArrayList<>(holds.size());
        for (Hold h : holds) {
            if (h instanceof Hold.Stored s) {
                rows.add(s);
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        long[] actualUnits = new long[rows.size()];
        for (int i = 0; i < actualUnits.length; i++) {
            actualUnits[i] = units(rows.get(i).limit().metric(), actual, actualCostPicos);
        }
        stored.adjust(rows, actualUnits);
    }

    /**
     * Turns a permit's reservations into its recorded usage: counters move by the difference between
     * the usage and the reservation in one atomic step each; buckets are corrected to the real usage;
     * a lease keeps the call's unused part (the usage leaves it when the ledger commits it); stored
     * reservations are released by the ledger's writer in the event's transaction. A hold without a
     * charge (its limit no longer applies) is released.
     */
    public void settle(List<LimitCharge> charges, List<Hold> holds, TokenCounts actual, long actualCostPicos) {
        boolean[] settled = new boolean[holds.size()];
        for (int i = 0; i < holds.size(); i++) {
            Hold h = holds.get(i);
            if (h instanceof Hold.Stored) {
                settled[i] = true;
            } else if (h instanceof Hold.Leased le) {
                leased().settled(le.lease(), le.units(), units(le.limit().metric(), actual, actualCostPicos));
                settled[i] = true;
            } else if (h instanceof Hold.InBucket b) {
                rates.settle(b, units(b.limit().metric(), actual, actualCostPicos));
                settled[i] = true;
            }
        }
        counters.settle(charges, holds, settled);
        for (int i = 0; i < holds.size(); i++) {
            if (!settled[i]) {
                release(List.of(holds.get(i)));
            }
        }
    }

    /** Gives reservations back. */
    public void release(List<Hold> holds) {
        List<String> rows = null;
        for (Hold h : holds) {
            if (h instanceof Hold.OnCounter c) {
                counters.release(c);
            } else if (h instanceof Hold.InBucket b) {
                rates.release(b);
            } else if (h instanceof Hold.Leased le) {
                leased().giveBack(le.lease(), le.units());
            } else if (h instanceof Hold.Stored s) {
                if (rows == null) {
                    rows = new ArrayList<>(holds.size());
                }
                rows.add(s.reservationId());
            }
        }
        if (rows != null) {
            storedReservations().release(rows);
        }
    }

    /** The ids of the reservations among {@code holds} that are rows in the database. */
    public static List<String> storedReservationIds(List<Hold> holds) {
        List<String> ids = null;
        for (Hold h : holds) {
            if (h instanceof Hold.Stored s) {
                if (ids == null) {
                    ids = new ArrayList<>(holds.size());
                }
                ids.add(s.reservationId());
            }
        }
        return ids == null ? List.of() : ids;
    }

    /** Releases stored reservations by id (those of an event that could not be stored). */
    public void releaseReservations(List<String> ids) {
        if (!ids.isEmpty()) {
            storedReservations().release(ids);
        }
    }

    /** The leases of a call's holds, with the units its real usage takes from each. */
    public List<LeaseUse> leaseUses(List<Hold> holds, TokenCounts actual, long actualCostPicos) {
        List<LeaseUse> uses = null;
        for (Hold h : holds) {
            if (h instanceof Hold.Leased le) {
                if (uses == null) {
                    uses = new ArrayList<>(2);
                }
                uses.add(new LeaseUse(le.lease(), units(le.limit().metric(), actual, actualCostPicos)));
            }
        }
        return uses == null ? List.of() : uses;
    }

    /** The ledger committed (or, with {@code stored} false, could not store) usage taken from leases. */
    public void leaseUsage(List<LeaseUse> uses, boolean storedNow) {
        if (leases == null) {
            return;
        }
        for (LeaseUse u : uses) {
            if (storedNow) {
                leases.committed(u.lease(), u.units());
            } else {
                leases.giveBack(u.lease(), u.units());
            }
        }
    }

    /**
     * In the ledger writer's transaction, after the events it stored: adds their usage to the
     * counters' {@code used} (in key order, so that concurrent writers lock counters in one order),
     * moves the usage taken from leases out of the counters' {@code reserved} and the lease rows, and
     * releases the calls' stored reservations, which the usage replaces.
     *
     * @param charges what the stored events add per counter
     * @param leaseUses the usage the stored events took from leases
     * @param reservationIds the stored reservations of the stored events
     * @return each counter's {@code used} afterwards, for the alerts on thresholds crossed
     */
    public Map<LimitCharge.Key, Long> commitUsage(
            StorageTx tx,
            SortedMap<LimitCharge.Key, Long> charges,
            List<LeaseUse> leaseUses,
            List<String> reservationIds) {
        TreeMap<LimitCharge.Key, Long> reservedDeltas = new TreeMap<>();
        TreeMap<String, Long> leaseShrink = new TreeMap<>();
        Map<String, LimitCharge.Key> leaseKeys = new HashMap<>();
        for (LeaseUse u : leaseUses) {
            LimitCharge.Key k =
                    new LimitCharge.Key(u.lease().limitId(), u.lease().windowStart());
            reservedDeltas.merge(k, -u.units(), Long::sum);
            leaseShrink.merge(u.lease().id(), u.units(), Long::sum);
            leaseKeys.put(u.lease().id(), k);
        }
        Map<LimitCharge.Key, Long> totals = storage.counters().addToCounters(tx, charges, reservedDeltas);
        for (String gone : storage.leases().shrinkLeaseRows(tx, leaseShrink)) {
            // released by the sweep already: its counter gave its units back then
            LimitCharge.Key k = Objects.requireNonNull(leaseKeys.get(gone));
            storage.counters()
                    .addReserved(tx, k.limitId(), k.windowStart(), Objects.requireNonNull(leaseShrink.get(gone)));
        }
        for (String rid : reservationIds) {
            storage.counters().releaseReservation(tx, rid);
        }
        return totals;
    }

    /**
     * Shared budgets: releases the reservations whose permits expired and the leases whose instances
     * stopped renewing them, on any instance.
     */
    public int releaseExpiredShared(Instant now) {
        return stored == null ? 0 : stored.releaseExpired(now);
    }

    /**
     * A limit changed (here, or as seen in the change feed or a refresh): its leases give back their
     * free units, so that a lowered cap holds from the next lease growth (see {@link Leases#limitChanged}).
     */
    public void limitChanged(String limitId) {
        if (leases != null) {
            leases.limitChanged(limitId);
        }
    }

    /** A limit was deleted: its counters, bucket and leases go. */
    public void forget(String limitId) {
        counters.forget(limitId);
        rates.forget(limitId);
        if (leases != null) {
            leases.forget(limitId);
        }
    }

    /** Drops the counters of windows that ended before {@code now} (their usage is in the table). */
    public void evictEnded(Instant now) {
        counters.evictEnded(now);
    }

    /** The rate-limit backend. */
    public RateBuckets rateBuckets() {
        return rates.buckets();
    }

    /** Rate-limit checks skipped because the backend did not answer (fail-open policy). */
    public long rateChecksSkipped() {
        return rates.checksSkipped();
    }

    public @Nullable Leases leases() {
        return leases;
    }

    /** The leases; only called where a hold came from one, so there are leases. */
    private Leases leased() {
        return Objects.requireNonNull(leases, "budget leasing is off");
    }

    private StoredReservations storedReservations() {
        return Objects.requireNonNull(stored, "budgets are not reserved call by call");
    }
}
