package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.StorageBackend;
import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.TokenKeeperException;
import dev.tokenkeeper.internal.storage.CounterStore.CounterState;
import dev.tokenkeeper.internal.storage.LeaseStore.Taken;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.StorageTx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * What differs between the two backends. The stores write their SQL once, in the subset both
 * understand (row values, {@code ON CONFLICT}, {@code RETURNING}, {@code LIMIT}); what one backend
 * does faster or differently lives here: bulk writes (multi-row {@code VALUES} on SQLite, one
 * statement over arrays on PostgreSQL), the bulk insert of usage events ({@code COPY} on
 * PostgreSQL), row locks ({@code FOR UPDATE}), and the lease operations that PostgreSQL does in one
 * statement. The default methods are the portable form, which SQLite uses: it serializes writers,
 * so reading and then writing in one transaction is safe there.
 */
sealed interface Dialect permits SqliteDialect, PostgresDialect {

    StorageBackend backend();

    default String id() {
        return backend().id();
    }

    /** Flyway locations: the shared scripts and this dialect's own. */
    default String[] migrationLocations() {
        return new String[] {
            "classpath:dev/tokenkeeper/db/migration/common", "classpath:dev/tokenkeeper/db/migration/" + id()
        };
    }

    static Dialect fromProductName(String productName) {
        String p = productName.toLowerCase(Locale.ROOT);
        if (p.contains("sqlite")) {
            return new SqliteDialect();
        }
        if (p.contains("postgres")) {
            return new PostgresDialect();
        }
        throw new TokenKeeperException(
                ErrorCode.CONFIGURATION_INVALID,
                "unsupported database '" + productName + "': TokenKeeper runs on SQLite and PostgreSQL");
    }

    /**
     * Whether the database lets one writer in at a time (SQLite): this process then takes its own
     * fair turns, tunes its writer connections and checkpoints the log off the writers' threads.
     */
    boolean serializesWriters();

    /** Appended to a query of one row to lock it until the transaction ends; empty where writers are serialized. */
    String lockForUpdate();

    /**
     * Writes {@code rows} with {@code head + (rows) + tail}, handing each prepared statement and the
     * rows it carries to {@code work}, which executes it.
     */
    <T> void bulkWrite(
            StorageTx tx, List<T> rows, List<Column<T>> columns, String head, String tail, Statements.ChunkWork<T> work)
            throws SQLException;

    /**
     * Inserts the events of {@code unique} (no id twice) with {@code head + (rows) + conflictTail},
     * skipping ids stored already, and marks in {@code inserted} (by the position {@code firstIndex}
     * gives each id) those it inserted.
     */
    <T> void insertNew(
            StorageTx tx,
            List<T> unique,
            List<Column<T>> columns,
            String table,
            String head,
            String conflictTail,
            Map<String, Integer> firstIndex,
            java.util.function.Function<T, String> id,
            boolean[] inserted)
            throws SQLException;

    /**
     * Runs the counter upsert {@code upsert} (a format with one {@code %s} for the rows; it returns
     * limit id, window start and the new used) for each entry of {@code all} ({@code [used delta,
     * reserved delta]} by key), in key order; returns each counter's new used.
     */
    default Map<LimitCharge.Key, Long> upsertCounters(
            Connection c, String upsert, SortedMap<LimitCharge.Key, long[]> all) throws SQLException {
        Map<LimitCharge.Key, Long> totals = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(String.format(upsert, "VALUES (?, ?, ?, ?)"))) {
            for (var e : all.entrySet()) {
                ps.setString(1, e.getKey().limitId());
                ps.setLong(2, e.getKey().windowStart());
                ps.setLong(3, e.getValue()[0]);
                ps.setLong(4, e.getValue()[1]);
                readTotals(ps, totals);
            }
        }
        return totals;
    }

    static void readTotals(PreparedStatement ps, Map<LimitCharge.Key, Long> totals) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                totals.put(new LimitCharge.Key(rs.getString(1), rs.getLong(2)), rs.getLong(3));
            }
        }
    }

    /**
     * Takes units off several lease rows (not off their counters); returns the ids of the leases
     * that are gone.
     */
    default Set<String> shrinkLeaseRows(Connection c, SortedMap<String, Long> byLease) throws SQLException {
        Set<String> gone = new HashSet<>(byLease.keySet());
        try (PreparedStatement ps =
                c.prepareStatement("UPDATE tk_limit_reservations SET units = units - ? WHERE id = ?")) {
            for (var e : byLease.entrySet()) {
                ps.setLong(1, e.getValue());
                ps.setString(2, e.getKey());
                if (ps.executeUpdate() == 1) {
                    gone.remove(e.getKey());
                }
            }
        }
        return gone;
    }

    /**
     * Reserves on the lease as much of {@code want} units as the window's counter has room for within
     * {@code cap}, but nothing unless at least {@code min} fit. Portable form: read, then write.
     */
    default @Nullable Taken takeOnLease(
            StorageTx tx,
            String leaseId,
            String limitId,
            long windowStart,
            long want,
            long min,
            long cap,
            long expiresAt) {
        Handle h = JdbcTx.of(tx);
        CounterState c = JdbcCounterStore.lockCounter(h, this, limitId, windowStart);
        long room = cap - c.used() - c.reserved();
        if (room < min) {
            return null;
        }
        long g = Math.min(want, room);
        if (g > 0) {
            JdbcCounterStore.addReservedTo(tx, limitId, windowStart, g);
            JdbcLeaseStore.growLeaseRow(h, leaseId, limitId, windowStart, g, expiresAt);
        }
        return new Taken(g, c.used() + c.reserved() + g);
    }

    /**
     * Takes {@code units} off a lease and off its counter's reserved, the counter first (the one lock
     * order); false, and the counter as it was, when the lease is gone. Portable form: in steps.
     */
    default boolean shrinkLease(StorageTx tx, String leaseId, String limitId, long windowStart, long units) {
        JdbcCounterStore.addReservedTo(tx, limitId, windowStart, -units);
        boolean present;
        try {
            present = shrinkLeaseRows(JdbcTx.of(tx).getConnection(), new java.util.TreeMap<>(Map.of(leaseId, units)))
                    .isEmpty();
        } catch (SQLException e) {
            throw new StorageException("a lease could not be updated", e);
        }
        if (!present) {
            JdbcCounterStore.addReservedTo(tx, limitId, windowStart, units); // released by the sweep already
        }
        return present;
    }
}
