package dev.tokenkeeper.internal.storage;

import java.util.List;

/**
 * What each limit counted per window ({@code tk_limit_counters}: {@code used} from the ledger,
 * {@code reserved} by calls in flight and leases), reservations ({@code tk_limit_reservations}) and
 * the alerts fired. Keyed by limit id (a limit belongs to one tenant); the sweep of expired
 * reservations runs across tenants.
 */
public interface CounterStore {
    /** What the limit has counted in the window starting at {@code windowStart} (0 when nothing). */
    long used(StorageTx tx, String limitId, long windowStart);

    /** What open reservations hold in that window, across instances (shared budgets). */
    long reserved(StorageTx tx, String limitId, long windowStart);

    /**
     * Adds to the counters' used, and to their reserved the given deltas, creating missing rows, in
     * key order (so writers and lease growth lock counters in one order: no deadlock); returns each
     * counter's new used.
     */
    java.util.Map<LimitCharge.Key, Long> addToCounters(
            StorageTx tx,
            java.util.SortedMap<LimitCharge.Key, Long> increments,
            java.util.SortedMap<LimitCharge.Key, Long> reservedDeltas);

    /** Records that an alert fired; returns false when it had fired already in that window. */
    boolean insertAlert(StorageTx tx, String limitId, long windowStart, String threshold, long used, long firedAt);

    /**
     * Reserves {@code units} on a window's counter if used + reserved + units stays within
     * {@code cap}, recording the reservation; returns used + reserved afterwards, or -1 when it does
     * not fit.
     */
    long reserve(
            StorageTx tx, String reservationId, String limitId, long windowStart, long units, long cap, long expiresAt);

    /** Sets a reservation to {@code units} (the call's real usage), adjusting its counter. */
    void adjustReservation(StorageTx tx, String reservationId, long units);

    /** Releases a reservation if it is still held; returns whether it was. */
    boolean releaseReservation(StorageTx tx, String reservationId);

    /** Releases every reservation that expired at or before {@code now}; returns how many. */
    int releaseExpiredReservations(StorageTx tx, long now);

    /** A window counter's state as the lease logic needs it. */
    record CounterState(long used, long reserved, boolean recalled) {}

    /** Creates the window's counter if absent, and reads it (locking it where the database can). */
    CounterState lockCounter(StorageTx tx, String limitId, long windowStart);

    /** Adds {@code delta} to a counter's reserved. */
    void addReserved(StorageTx tx, String limitId, long windowStart, long delta);

    /**
     * Asks every instance to give back the unused part of its lease on this window; returns whether
     * a lease other than {@code ownLeaseId} holds units there (otherwise there is nothing to wait for).
     */
    boolean recall(StorageTx tx, String limitId, long windowStart, long at, String ownLeaseId);

    /** The windows recalled at or after {@code since}, as limit id and window start. */
    List<LimitCharge.Key> recalledSince(StorageTx tx, long since);

    /** Removes every counter and recorded alert of a limit. */
    void deleteCounters(StorageTx tx, String limitId);
}
