package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.StorageBackend;
import dev.tokenkeeper.internal.storage.LeaseStore.Taken;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.StorageTx;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;

/** PostgreSQL: row locks, one statement over arrays for bulk writes, {@code COPY} for usage events. */
final class PostgresDialect implements Dialect {
    private static final String UNIQUE_VIOLATION = "23505";

    private record SqlKey(String head, String tail) {}

    /** Statement texts by head and tail, built once. */
    private final ConcurrentHashMap<SqlKey, String> sql = new ConcurrentHashMap<>();

    @Override
    public StorageBackend backend() {
        return StorageBackend.POSTGRESQL;
    }

    @Override
    public boolean serializesWriters() {
        return false;
    }

    @Override
    public String lockForUpdate() {
        return " FOR UPDATE";
    }

    /** Writes every row in one statement: {@code head SELECT * FROM unnest(one array per column) tail}. */
    @Override
    public <T> void bulkWrite(
            StorageTx tx, List<T> rows, List<Column<T>> columns, String head, String tail, Statements.ChunkWork<T> work)
            throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        Connection c = JdbcTx.of(tx).getConnection();
        String text = sql.computeIfAbsent(
                new SqlKey(head, tail),
                k -> head + "SELECT * FROM unnest("
                        + columns.stream()
                                .map(col -> "?::" + col.kind().pgType() + "[]")
                                .collect(Collectors.joining(", "))
                        + ")" + tail);
        Statements.withStatement(tx, text, ps -> {
            for (int i = 0; i < columns.size(); i++) {
                ps.setArray(
                        i + 1,
                        c.createArrayOf(
                                columns.get(i).kind().pgType(), columns.get(i).column(rows)));
            }
            work.accept(ps, rows);
        });
    }

    /**
     * Writes the rows with {@code COPY} inside a savepoint, falling back to {@code INSERT ... ON
     * CONFLICT DO NOTHING RETURNING id} over {@code unnest} when a row is stored already (see
     * {@link #copied}).
     */
    @Override
    public <T> void insertNew(
            StorageTx tx,
            List<T> unique,
            List<Column<T>> columns,
            String table,
            String head,
            String conflictTail,
            Map<String, Integer> firstIndex,
            Function<T, String> id,
            boolean[] inserted)
            throws SQLException {
        if (copied(tx, table, unique, columns)) {
            for (T r : unique) {
                inserted[Statements.index(firstIndex, id.apply(r))] = true;
            }
            return;
        }
        bulkWrite(
                tx,
                unique,
                columns,
                head,
                conflictTail + " RETURNING id",
                (ps, chunk) -> Statements.markReturned(ps, firstIndex, inserted));
    }

    /**
     * Writes the rows with {@code COPY}, which the server takes about 2.7 times as fast as the same
     * rows through {@code INSERT ... SELECT FROM unnest(..)} (measured: 369,000 against 135,000 rows/s
     * of the usage events' shape), inside a savepoint. {@code COPY} has no {@code ON CONFLICT}: when a
     * row is stored already (a rare retry), the savepoint is rolled back and this answers
     * {@code false}, and the caller inserts the rows the slow way, skipping what is stored. Also
     * {@code false}, touching nothing, when the connection is not PostgreSQL's own driver.
     */
    private static <T> boolean copied(StorageTx tx, String table, List<T> rows, List<Column<T>> columns)
            throws SQLException {
        Connection c = JdbcTx.of(tx).getConnection();
        if (rows.isEmpty() || !c.isWrapperFor(PGConnection.class)) {
            return false;
        }
        String data = Statements.copyText(rows, columns);
        Statements.exec(tx, "SAVEPOINT tk_events");
        try {
            c.unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyIn("COPY " + table + " (" + Column.names(columns) + ") FROM STDIN", new StringReader(data));
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            Statements.exec(tx, "ROLLBACK TO tk_events");
            Statements.exec(tx, "RELEASE tk_events");
            return false;
        } catch (IOException e) {
            throw new SQLException("copying rows into " + table + " failed: " + e.getMessage(), e);
        }
        Statements.exec(tx, "RELEASE tk_events");
        return true;
    }

    /** More than one counter: one statement over arrays, rows in key order. */
    @Override
    public Map<LimitCharge.Key, Long> upsertCounters(
            Connection c, String upsert, SortedMap<LimitCharge.Key, long[]> all) throws SQLException {
        if (all.size() < 2) {
            return Dialect.super.upsertCounters(c, upsert, all);
        }
        int n = all.size();
        String[] ids = new String[n];
        Long[] ws = new Long[n];
        Long[] used = new Long[n];
        Long[] reserved = new Long[n];
        int i = 0;
        for (var e : all.entrySet()) {
            ids[i] = e.getKey().limitId();
            ws[i] = e.getKey().windowStart();
            used[i] = e.getValue()[0];
            reserved[i++] = e.getValue()[1];
        }
        Map<LimitCharge.Key, Long> totals = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                String.format(upsert, "SELECT * FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[])"))) {
            ps.setArray(1, c.createArrayOf("text", ids));
            ps.setArray(2, c.createArrayOf("bigint", ws));
            ps.setArray(3, c.createArrayOf("bigint", used));
            ps.setArray(4, c.createArrayOf("bigint", reserved));
            Dialect.readTotals(ps, totals);
        }
        return totals;
    }

    @Override
    public Set<String> shrinkLeaseRows(Connection c, SortedMap<String, Long> byLease) throws SQLException {
        Set<String> gone = new HashSet<>(byLease.keySet());
        try (PreparedStatement ps = c.prepareStatement("UPDATE tk_limit_reservations r"
                + " SET units = r.units - v.n FROM unnest(?::text[], ?::bigint[]) v(id, n) WHERE r.id = v.id"
                + " RETURNING r.id")) {
            ps.setArray(1, c.createArrayOf("text", byLease.keySet().toArray(String[]::new)));
            ps.setArray(2, c.createArrayOf("bigint", byLease.values().toArray(Long[]::new)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    gone.remove(rs.getString(1));
                }
            }
        }
        return gone;
    }

    // The counter's row is locked by the first query (read committed: its newest version), so the
    // update that follows sees the same values; the lease row grows by the same amount.
    private static final String TAKE_ON_LEASE = "WITH x AS (SELECT LEAST(:want, :cap - used - reserved) AS g"
            + " FROM tk_limit_counters WHERE limit_id = :id AND window_start = :w AND used + reserved + :min <= :cap"
            + " FOR UPDATE),"
            + " c AS (UPDATE tk_limit_counters t SET reserved = t.reserved + x.g FROM x"
            + " WHERE t.limit_id = :id AND t.window_start = :w RETURNING x.g AS g, t.used + t.reserved AS claimed),"
            + " r AS (INSERT INTO tk_limit_reservations (id, limit_id, window_start, units, expires_at)"
            + " SELECT :rid, :id, :w, g, :exp FROM c"
            + " ON CONFLICT (id) DO UPDATE SET units = tk_limit_reservations.units + EXCLUDED.units, expires_at = :exp)"
            + " SELECT g, claimed FROM c";

    /**
     * One statement: the counter's row lock is taken first (the one lock order) and released at
     * commit, one round trip later.
     */
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
        Handle h = JdbcTx.of(tx);
        for (int attempt = 0; attempt < 2; attempt++) {
            Optional<Taken> taken = h.createQuery(TAKE_ON_LEASE)
                    .bind("want", want)
                    .bind("min", min)
                    .bind("id", limitId)
                    .bind("w", windowStart)
                    .bind("cap", cap)
                    .bind("rid", leaseId)
                    .bind("exp", expiresAt)
                    .map((rs, ctx) -> new Taken(rs.getLong("g"), rs.getLong("claimed")))
                    .findOne();
            if (taken.isPresent()) {
                return taken.get();
            }
            if (attempt == 0 && !JdbcCounterStore.ensureCounter(h, limitId, windowStart)) {
                return null; // the counter exists: not even min units fit
            }
        }
        return null;
    }

    private static final String SHRINK_LEASE = "WITH c AS (UPDATE tk_limit_counters SET reserved = reserved - :n"
            + " WHERE limit_id = :id AND window_start = :w RETURNING 1)"
            + " UPDATE tk_limit_reservations r SET units = r.units - :n FROM c WHERE r.id = :rid RETURNING r.id";

    /**
     * One statement, the counter first (the one lock order); a lease row the sweep released already
     * gives nothing back, so the counter's units are put back.
     */
    @Override
    public boolean shrinkLease(StorageTx tx, String leaseId, String limitId, long windowStart, long units) {
        boolean present = JdbcTx.of(tx)
                .createQuery(SHRINK_LEASE)
                .bind("n", units)
                .bind("id", limitId)
                .bind("w", windowStart)
                .bind("rid", leaseId)
                .mapTo(String.class)
                .findOne()
                .isPresent();
        if (!present) {
            JdbcCounterStore.addReservedTo(tx, limitId, windowStart, units);
        }
        return present;
    }
}
