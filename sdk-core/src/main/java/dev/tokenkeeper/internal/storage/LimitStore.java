package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitScope;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Limits ({@code tk_limits}), their counters, reservations, leases and change feed. Limits are read
 * and changed within one tenant; the counters, reservations and leases are keyed by limit id (a
 * limit belongs to one tenant), and the change feed and the sweeps of expired reservations and
 * leases run across tenants, for the keeper's own maintenance only.
 */
public interface LimitStore {
    void insert(StorageTx tx, Limit limit);

    /** Replaces the mutable fields (name, amount, grace, thresholds, updated time); returns whether it existed. */
    boolean update(StorageTx tx, Limit limit);

    boolean delete(StorageTx tx, String tenantId, String id);

    Optional<Limit> find(StorageTx tx, String tenantId, String id);

    /** The tenant of the limit with that id, in whichever tenant it is. */
    Optional<String> tenantOf(StorageTx tx, String id);

    /**
     * A change to the limits of one scope, as the change feed ({@code tk_limit_changes}) holds it.
     *
     * @param scopeId {@code null} for a tenant-wide limit
     */
    record ScopeChange(String tenantId, LimitScope scope, @Nullable String scopeId) {}

    /** Adds a row to the change feed, in the transaction of the change. */
    void recordChange(StorageTx tx, String id, ScopeChange change, long changedAt);

    /** The changes recorded after {@code since}. */
    List<ScopeChange> changesSince(StorageTx tx, long since);

    /** Deletes the change-feed rows recorded before {@code before}; returns how many. */
    int pruneChanges(StorageTx tx, long before);

    /** Oldest first (ids are time-ordered), after {@code afterId} when given. */
    List<Limit> list(StorageTx tx, String tenantId, @Nullable LimitScope scope, @Nullable String scopeId,
            @Nullable String afterId, int limit);

    /** What the limit has counted in the window starting at {@code windowStart} (0 when nothing). */
    long used(StorageTx tx, String limitId, long windowStart);

    /** What open reservations hold in that window, across instances (shared budgets). */
    long reserved(StorageTx tx, String limitId, long windowStart);

    /**
     * Adds to the counters' used, and to their reserved the given deltas, creating missing rows, in
     * key order (so writers and lease growth lock counters in one order: no deadlock); returns each
     * counter's new used.
     */
    java.util.Map<LimitCharge.Key, Long> addToCounters(StorageTx tx, java.util.SortedMap<LimitCharge.Key, Long> increments,
            java.util.SortedMap<LimitCharge.Key, Long> reservedDeltas);

    /** Limits by id, of any tenant (for the ledger's writer). */
    List<Limit> findByIds(StorageTx tx, java.util.Collection<String> ids);

    /** Records that an alert fired; returns false when it had fired already in that window. */
    boolean insertAlert(StorageTx tx, String limitId, long windowStart, String threshold, long used, long firedAt);

    /**
     * Reserves {@code units} on a window's counter if used + reserved + units stays within
     * {@code cap}, recording the reservation; returns used + reserved afterwards, or -1 when it does
     * not fit.
     */
    long reserve(StorageTx tx, String reservationId, String limitId, long windowStart, long units, long cap,
            long expiresAt);

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

    /**
     * Adds {@code units} to a lease (a reservation row, created if absent, its expiry set to
     * {@code expiresAt}) and to the counter's reserved, if used + reserved + units stays within
     * {@code cap} (no cap check when {@code cap} is {@link Long#MAX_VALUE}); false when it does not fit.
     */
    boolean growLease(StorageTx tx, String leaseId, String limitId, long windowStart, long units, long cap,
            long expiresAt);

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
    @Nullable Taken takeOnLease(StorageTx tx, String leaseId, String limitId, long windowStart, long want, long min,
            long cap,
            long expiresAt);

    /**
     * Takes units off several lease rows (not off their counters: the caller adjusted those first, in
     * key order); returns the ids of leases that are gone.
     */
    java.util.Set<String> shrinkLeaseRows(StorageTx tx, java.util.SortedMap<String, Long> byLease);

    /** Adds {@code delta} to a counter's reserved. */
    void addReserved(StorageTx tx, String limitId, long windowStart, long delta);

    /** Extends the expiry of these leases; returns the ids that no longer exist. */
    java.util.Set<String> renewLeases(StorageTx tx, java.util.Collection<String> leaseIds, long expiresAt);

    /**
     * Asks every instance to give back the unused part of its lease on this window; returns whether
     * a lease other than {@code ownLeaseId} holds units there (otherwise there is nothing to wait for).
     */
    boolean recall(StorageTx tx, String limitId, long windowStart, long at, String ownLeaseId);

    /** The windows recalled at or after {@code since}, as limit id and window start. */
    List<LimitCharge.Key> recalledSince(StorageTx tx, long since);

    /** Removes every counter and recorded alert of a limit. */
    void deleteCounters(StorageTx tx, String limitId);

    /** The tenant-wide limits and those of the given user, project, token and run. */
    List<Limit> forScopes(StorageTx tx, String tenantId, @Nullable String userId, @Nullable String projectId,
            @Nullable String tokenId, @Nullable String runId);
}
