package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.LeaseStore;
import dev.tokenkeeper.internal.storage.StorageTx;
import org.jspecify.annotations.Nullable;

/**
 * Leases: reservation rows ({@code tk_limit_reservations}, ids {@code lease:...}) that an instance
 * grows, shrinks and renews, always with their counter's {@code reserved}, the counter first.
 */
final class JdbcLeaseStore implements LeaseStore {
    private final Dialect dialect;

    JdbcLeaseStore(Dialect dialect) {
        this.dialect = dialect;
    }

    /** A lease row grows by what is added to it, and lives on to the new expiry. */
    private static final String LEASE_ROW_GROWS =
            " ON CONFLICT (id) DO UPDATE SET units = tk_limit_reservations.units + :n, expires_at = :exp";

    /** Adds {@code units} to the lease's row, creating it if needed. */
    static void growLeaseRow(
            org.jdbi.v3.core.Handle h, String leaseId, String limitId, long windowStart, long units, long expiresAt) {
        h.createUpdate("INSERT INTO tk_limit_reservations (id, limit_id, window_start, units, expires_at)"
                        + " VALUES (:rid, :id, :w, :n, :exp)" + LEASE_ROW_GROWS)
                .bind("rid", leaseId)
                .bind("id", limitId)
                .bind("w", windowStart)
                .bind("n", units)
                .bind("exp", expiresAt)
                .execute();
    }

    @Override
    public boolean growLease(
            StorageTx tx, String leaseId, String limitId, long windowStart, long units, long cap, long expiresAt) {
        var h = JdbcTx.of(tx);
        int fits = h.createUpdate("UPDATE tk_limit_counters SET reserved = reserved + :n"
                        + " WHERE limit_id = :id AND window_start = :w"
                        + (cap == Long.MAX_VALUE ? "" : " AND used + reserved + :n <= :cap"))
                .bind("n", units)
                .bind("id", limitId)
                .bind("w", windowStart)
                .bind("cap", cap)
                .execute();
        if (fits == 0) {
            return false;
        }
        growLeaseRow(h, leaseId, limitId, windowStart, units, expiresAt);
        return true;
    }

    @Override
    public @Nullable Taken takeOnLease(
            StorageTx tx,
            String leaseId,
            String limitId,
            long windowStart,
            long want,
            long min,
            long cap,
            long expiresAt) {
        return dialect.takeOnLease(tx, leaseId, limitId, windowStart, want, min, cap, expiresAt);
    }

    @Override
    public boolean shrinkLease(StorageTx tx, String leaseId, String limitId, long windowStart, long units) {
        return dialect.shrinkLease(tx, leaseId, limitId, windowStart, units);
    }

    @Override
    public java.util.Set<String> shrinkLeaseRows(StorageTx tx, java.util.SortedMap<String, Long> byLease) {
        if (byLease.isEmpty()) {
            return new java.util.HashSet<>();
        }
        try {
            return dialect.shrinkLeaseRows(JdbcTx.of(tx).getConnection(), byLease);
        } catch (java.sql.SQLException e) {
            throw new dev.tokenkeeper.StorageException("leases could not be updated", e);
        }
    }

    @Override
    public java.util.Set<String> renewLeases(StorageTx tx, java.util.Collection<String> leaseIds, long expiresAt) {
        java.util.Set<String> gone = new java.util.HashSet<>();
        var h = JdbcTx.of(tx);
        for (String id : leaseIds) {
            if (h.createUpdate("UPDATE tk_limit_reservations SET expires_at = :exp WHERE id = :rid")
                            .bind("exp", expiresAt)
                            .bind("rid", id)
                            .execute()
                    == 0) {
                gone.add(id);
            }
        }
        return gone;
    }
}
