package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.CounterStore;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.StorageTx;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** Window counters ({@code tk_limit_counters}), reservations ({@code tk_limit_reservations}) and alerts fired. */
final class JdbcCounterStore implements CounterStore {
    private final Dialect dialect;

    JdbcCounterStore(Dialect dialect) {
        this.dialect = dialect;
    }

    @Override
    public long used(StorageTx tx, String limitId, long windowStart) {
        return counterColumn(tx, "used", limitId, windowStart);
    }

    /** One column of a window's counter; 0 when the window has no counter yet. */
    private static long counterColumn(StorageTx tx, String column, String limitId, long windowStart) {
        return JdbcTx.of(tx)
                .createQuery(
                        "SELECT " + column + " FROM tk_limit_counters" + " WHERE limit_id = :id AND window_start = :w")
                .bind("id", limitId)
                .bind("w", windowStart)
                .mapTo(Long.class)
                .findOne()
                .orElse(0L);
    }

    @Override
    public java.util.Map<LimitCharge.Key, Long> addToCounters(
            StorageTx tx,
            java.util.SortedMap<LimitCharge.Key, Long> increments,
            java.util.SortedMap<LimitCharge.Key, Long> reservedDeltas) {
        java.util.TreeMap<LimitCharge.Key, long[]> all = new java.util.TreeMap<>();
        increments.forEach((k, n) -> all.computeIfAbsent(k, x -> new long[2])[0] += n);
        reservedDeltas.forEach((k, n) -> all.computeIfAbsent(k, x -> new long[2])[1] += n);
        if (all.isEmpty()) {
            return new java.util.HashMap<>();
        }
        String upsert = "INSERT INTO tk_limit_counters (limit_id, window_start, used, reserved) %s"
                + " ON CONFLICT (limit_id, window_start) DO UPDATE SET used = tk_limit_counters.used + excluded.used,"
                + " reserved = tk_limit_counters.reserved + excluded.reserved RETURNING limit_id, window_start, used";
        try {
            return dialect.upsertCounters(JdbcTx.of(tx).getConnection(), upsert, all);
        } catch (java.sql.SQLException e) {
            throw new dev.tokenkeeper.StorageException("counters could not be written", e);
        }
    }

    @Override
    public boolean insertAlert(
            StorageTx tx, String limitId, long windowStart, String threshold, long used, long firedAt) {
        return JdbcTx.of(tx)
                        .createUpdate("INSERT INTO tk_limit_alerts (limit_id, window_start, threshold, used,"
                                + " fired_at) VALUES (:id, :w, :t, :used, :at) ON CONFLICT (limit_id, window_start, threshold)"
                                + " DO NOTHING")
                        .bind("id", limitId)
                        .bind("w", windowStart)
                        .bind("t", threshold)
                        .bind("used", used)
                        .bind("at", firedAt)
                        .execute()
                == 1;
    }

    @Override
    public long reserved(StorageTx tx, String limitId, long windowStart) {
        return counterColumn(tx, "reserved", limitId, windowStart);
    }

    @Override
    public long reserve(
            StorageTx tx,
            String reservationId,
            String limitId,
            long windowStart,
            long units,
            long cap,
            long expiresAt) {
        var h = JdbcTx.of(tx);
        ensureCounter(h, limitId, windowStart);
        Optional<Long> claimed = h.createQuery("UPDATE tk_limit_counters SET reserved = reserved + :n"
                        + " WHERE limit_id = :id AND window_start = :w AND used + reserved + :n <= :cap"
                        + " RETURNING used + reserved")
                .bind("n", units)
                .bind("id", limitId)
                .bind("w", windowStart)
                .bind("cap", cap)
                .mapTo(Long.class)
                .findOne();
        if (claimed.isEmpty()) {
            return -1;
        }
        h.createUpdate("INSERT INTO tk_limit_reservations (id, limit_id, window_start, units, expires_at)"
                        + " VALUES (:rid, :id, :w, :n, :exp)")
                .bind("rid", reservationId)
                .bind("id", limitId)
                .bind("w", windowStart)
                .bind("n", units)
                .bind("exp", expiresAt)
                .execute();
        return claimed.get();
    }

    private record Held(String limitId, long windowStart, long units) {}

    private static final RowMapper<Held> HELD =
            (rs, ctx) -> new Held(rs.getString("limit_id"), rs.getLong("window_start"), rs.getLong("units"));

    @Override
    public void adjustReservation(StorageTx tx, String reservationId, long units) {
        var h = JdbcTx.of(tx);
        Optional<Held> held = h.createQuery(
                        "SELECT limit_id, window_start, units FROM tk_limit_reservations" + " WHERE id = :rid")
                .bind("rid", reservationId)
                .map(HELD)
                .findOne();
        if (held.isEmpty() || held.get().units() == units) {
            return;
        }
        h.createUpdate("UPDATE tk_limit_reservations SET units = :n WHERE id = :rid")
                .bind("n", units)
                .bind("rid", reservationId)
                .execute();
        addReservedTo(
                tx,
                held.get().limitId(),
                held.get().windowStart(),
                units - held.get().units());
    }

    @Override
    public boolean releaseReservation(StorageTx tx, String reservationId) {
        Optional<Held> held = JdbcTx.of(tx)
                .createQuery("DELETE FROM tk_limit_reservations WHERE id = :rid"
                        + " RETURNING limit_id, window_start, units")
                .bind("rid", reservationId)
                .map(HELD)
                .findOne();
        held.ifPresent(x -> addReservedTo(tx, x.limitId(), x.windowStart(), -x.units()));
        return held.isPresent();
    }

    @Override
    public int releaseExpiredReservations(StorageTx tx, long now) {
        List<Held> expired = JdbcTx.of(tx)
                .createQuery("DELETE FROM tk_limit_reservations WHERE expires_at <= :now"
                        + " RETURNING limit_id, window_start, units")
                .bind("now", now)
                .map(HELD)
                .list();
        java.util.TreeMap<LimitCharge.Key, Long> sums = new java.util.TreeMap<>();
        for (Held x : expired) {
            sums.merge(new LimitCharge.Key(x.limitId(), x.windowStart()), x.units(), Long::sum);
        }
        sums.forEach((k, n) -> addReservedTo(tx, k.limitId(), k.windowStart(), -n));
        return expired.size();
    }

    /** Creates a window's counter at zero if it does not exist; whether it did not. */
    static boolean ensureCounter(org.jdbi.v3.core.Handle h, String limitId, long windowStart) {
        return h.createUpdate("INSERT INTO tk_limit_counters (limit_id, window_start, used, reserved)"
                                + " VALUES (:id, :w, 0, 0) ON CONFLICT (limit_id, window_start) DO NOTHING")
                        .bind("id", limitId)
                        .bind("w", windowStart)
                        .execute()
                > 0;
    }

    @Override
    public CounterState lockCounter(StorageTx tx, String limitId, long windowStart) {
        return lockCounter(JdbcTx.of(tx), dialect, limitId, windowStart);
    }

    /**
     * The window's counter, created when missing and locked until the transaction ends (SQLite serializes
     * writers; PostgreSQL locks the row).
     */
    static CounterState lockCounter(Handle h, Dialect dialect, String limitId, long windowStart) {
        ensureCounter(h, limitId, windowStart);
        return h.createQuery("SELECT used, reserved, recall_at FROM tk_limit_counters"
                        + " WHERE limit_id = :id AND window_start = :w" + dialect.lockForUpdate())
                .bind("id", limitId)
                .bind("w", windowStart)
                .map((rs, ctx) ->
                        new CounterState(rs.getLong("used"), rs.getLong("reserved"), rs.getObject("recall_at") != null))
                .one();
    }

    @Override
    public boolean recall(StorageTx tx, String limitId, long windowStart, long at, String ownLeaseId) {
        var h = JdbcTx.of(tx);
        h.createUpdate("UPDATE tk_limit_counters SET recall_at = :at" + " WHERE limit_id = :id AND window_start = :w")
                .bind("at", at)
                .bind("id", limitId)
                .bind("w", windowStart)
                .execute();
        return h.createQuery("SELECT 1 FROM tk_limit_reservations WHERE limit_id = :id AND window_start = :w"
                        + " AND id LIKE 'lease:%' AND id <> :own AND units > 0 LIMIT 1")
                .bind("id", limitId)
                .bind("w", windowStart)
                .bind("own", ownLeaseId)
                .mapTo(Integer.class)
                .findOne()
                .isPresent();
    }

    @Override
    public List<LimitCharge.Key> recalledSince(StorageTx tx, long since) {
        return JdbcTx.of(tx)
                .createQuery("SELECT limit_id, window_start FROM tk_limit_counters"
                        + " WHERE recall_at IS NOT NULL AND recall_at >= :since")
                .bind("since", since)
                .map((rs, ctx) -> new LimitCharge.Key(rs.getString("limit_id"), rs.getLong("window_start")))
                .list();
    }

    @Override
    public void addReserved(StorageTx tx, String limitId, long windowStart, long delta) {
        addReservedTo(tx, limitId, windowStart, delta);
    }

    static void addReservedTo(StorageTx tx, String limitId, long windowStart, long delta) {
        JdbcTx.of(tx)
                .createUpdate("UPDATE tk_limit_counters SET reserved = reserved + :d"
                        + " WHERE limit_id = :id AND window_start = :w")
                .bind("d", delta)
                .bind("id", limitId)
                .bind("w", windowStart)
                .execute();
    }

    @Override
    public void deleteCounters(StorageTx tx, String limitId) {
        JdbcTx.of(tx)
                .createUpdate("DELETE FROM tk_limit_counters WHERE limit_id = :id")
                .bind("id", limitId)
                .execute();
        JdbcTx.of(tx)
                .createUpdate("DELETE FROM tk_limit_alerts WHERE limit_id = :id")
                .bind("id", limitId)
                .execute();
        JdbcTx.of(tx)
                .createUpdate("DELETE FROM tk_limit_reservations WHERE limit_id = :id")
                .bind("id", limitId)
                .execute();
    }
}
