package dev.tokenkeeper.internal.storage;

import org.jspecify.annotations.Nullable;

/**
 * Leases: reservation rows that one instance grows, shrinks and renews, always together with their
 * counter's {@code reserved}, the counter first (the one lock order).
 */
public interface LeaseStore {
    /**
     * Adds {@code units} to a lease (a reservation row, created if absent, its expiry set to
     * {@code expiresAt}) and to the counter's reserved, if used + reserved + units stays within
     * {@code cap} (no cap check when {@code cap} is {@link Long#MAX_VALUE}); false when it does not fit.
     */
    boolean growLease(
            StorageTx tx, String leaseId, String limitId, long windowStart, long units, long cap, long expiresAt);

    /**
     * Takes {@code units} off a lease and off its counter's reserved; false (and nothing changed) when
     * the lease is gone (it expired and was released).
     */
    boolean shrinkLease(StorageTx tx, String leaseId, String limitId, long windowStart, long units);

    /** What {@link #takeOnLease} reserved: {@code granted} units, after which the counter holds {@code claimed}. */
    record Taken(long granted, long claimed) {}

    /**
     * Reserves on the lease as much of {@code want} units as the window's counter has room for
     * within {@code cap}, but nothing unless at least {@code min} fit: the check and the reservation in
     * as few statements as the dialect allows (one on PostgreSQL), so that the counter's row lock is
     * held as briefly as possible.
     *
     * @return what was reserved, or null when not even {@code min} units fit
     */
    @Nullable
    Taken takeOnLease(
            StorageTx tx,
            String leaseId,
            String limitId,
            long windowStart,
            long want,
            long min,
            long cap,
            long expiresAt);

    /**
     * Takes units off several lease rows (not off their counters: the caller adjusted those first, in
     * key order); returns the ids of leases that are gone.
     */
    java.util.Set<String> shrinkLeaseRows(StorageTx tx, java.util.SortedMap<String, Long> byLease);

    /** Extends the expiry of these leases; returns the ids that no longer exist. */
    java.util.Set<String> renewLeases(StorageTx tx, java.util.Collection<String> leaseIds, long expiresAt);
}
