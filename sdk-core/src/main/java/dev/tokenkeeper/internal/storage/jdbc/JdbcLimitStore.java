package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.LimitStore;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.util.Json;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitScope;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

final class JdbcLimitStore implements LimitStore {
    private final Dialect dialect;

    JdbcLimitStore(Dialect dialect) {
        this.dialect = dialect;
    }

    private static final String COLUMNS = "id, tenant_id, name, scope, scope_id, provider, model, metric, period, zone,"
            + " amount, grace, alert_thresholds, created_at, updated_at";

    private static final RowMapper<Limit> LIMIT = (rs, ctx) -> {
        String scopeId = rs.getString("scope_id");
        return new Limit(rs.getString("id"), rs.getString("tenant_id"), rs.getString("name"),
                LimitScope.valueOf(rs.getString("scope")), scopeId.isEmpty() ? null : scopeId,
                rs.getString("provider"), rs.getString("model"), LimitMetric.valueOf(rs.getString("metric")),
                LimitPeriod.valueOf(rs.getString("period")), ZoneId.of(rs.getString("zone")), rs.getLong("amount"),
                rs.getLong("grace"), Json.readIntegers(rs.getString("alert_thresholds")),
                Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("updated_at")));
    };

    @Override
    public void insert(StorageTx tx, Limit l) {
        JdbcTx.of(tx).createUpdate("INSERT INTO tk_limits (" + COLUMNS + ") VALUES (:id, :tenant, :name, :scope,"
                        + " :scopeId, :provider, :model, :metric, :period, :zone, :amount, :grace, :thresholds,"
                        + " :createdAt, :updatedAt)")
                .bind("id", l.id())
                .bind("tenant", l.tenantId())
                .bind("name", l.name())
                .bind("scope", l.scope().name())
                .bind("scopeId", l.scopeId() == null ? "" : l.scopeId())
                .bind("provider", l.provider())
                .bind("model", l.model())
                .bind("metric", l.metric().name())
                .bind("period", l.period().name())
                .bind("zone", l.zone().getId())
                .bind("amount", l.amount())
                .bind("grace", l.grace())
                .bind("thresholds", Json.write(l.alertThresholds()))
                .bind("createdAt", l.createdAt().toEpochMilli())
                .bind("updatedAt", l.updatedAt().toEpochMilli())
                .execute();
    }

    @Override
    public boolean update(StorageTx tx, Limit l) {
        return JdbcTx.of(tx).createUpdate("UPDATE tk_limits SET name = :name, amount = :amount, grace = :grace,"
                        + " alert_thresholds = :thresholds, updated_at = :updatedAt WHERE tenant_id = :tenant AND id = :id")
                .bind("name", l.name())
                .bind("amount", l.amount())
                .bind("grace", l.grace())
                .bind("thresholds", Json.write(l.alertThresholds()))
                .bind("updatedAt", l.updatedAt().toEpochMilli())
                .bind("tenant", l.tenantId())
                .bind("id", l.id())
                .execute() == 1;
    }

    @Override
    public boolean delete(StorageTx tx, String tenantId, String id) {
        return JdbcTx.of(tx).createUpdate("DELETE FROM tk_limits WHERE tenant_id = :tenant AND id = :id")
                .bind("tenant", tenantId)
                .bind("id", id)
                .execute() == 1;
    }

    @Override
    public void recordChange(StorageTx tx, String id, ScopeChange change, long changedAt) {
        JdbcTx.of(tx).createUpdate("INSERT INTO tk_limit_changes (id, tenant_id, scope, scope_id, changed_at)"
                        + " VALUES (:id, :tenant, :scope, :scopeId, :at)")
                .bind("id", id)
                .bind("tenant", change.tenantId())
                .bind("scope", change.scope().name())
                .bind("scopeId", change.scopeId() == null ? "" : change.scopeId())
                .bind("at", changedAt)
                .execute();
    }

    @Override
    public List<ScopeChange> changesSince(StorageTx tx, long since) {
        return JdbcTx.of(tx).createQuery("SELECT DISTINCT tenant_id, scope, scope_id FROM tk_limit_changes"
                        + " WHERE changed_at > :since")
                .bind("since", since)
                .map((rs, ctx) -> {
                    String scopeId = rs.getString("scope_id");
                    return new ScopeChange(rs.getString("tenant_id"), LimitScope.valueOf(rs.getString("scope")),
                            scopeId.isEmpty() ? null : scopeId);
                })
                .list();
    }

    @Override
    public int pruneChanges(StorageTx tx, long before) {
        return JdbcTx.of(tx).createUpdate("DELETE FROM tk_limit_changes WHERE changed_at < :before")
                .bind("before", before)
                .execute();
    }

    @Override
    public Optional<Limit> find(StorageTx tx, String tenantId, String id) {
        return JdbcTx.of(tx).createQuery("SELECT " + COLUMNS + " FROM tk_limits WHERE tenant_id = :tenant AND id = :id")
                .bind("tenant", tenantId)
                .bind("id", id)
                .map(LIMIT)
                .findOne();
    }

    @Override
    public Optional<String> tenantOf(StorageTx tx, String id) {
        return JdbcTx.of(tx).createQuery("SELECT tenant_id FROM tk_limits WHERE id = :id")
                .bind("id", id)
                .mapTo(String.class)
                .findOne();
    }

    @Override
    public List<Limit> list(StorageTx tx, String tenantId, @Nullable LimitScope scope, @Nullable String scopeId,
            @Nullable String afterId, int limit) {
        Conditions c = new Conditions()
                .where("tenant_id = :tenant", "tenant", tenantId)
                .equal("scope", "scope", scope == null ? null : scope.name())
                .equal("scope_id", "scopeId", scopeId)
                .whereIf(afterId, "id > :afterId", "afterId");
        Query q = JdbcTx.of(tx).createQuery("SELECT " + COLUMNS + " FROM tk_limits" + c.sql()
                + " ORDER BY id LIMIT :limit");
        return c.bind(q).bind("limit", limit).map(LIMIT).list();
    }

    @Override
    public long used(StorageTx tx, String limitId, long windowStart) {
        return counterColumn(tx, "used", limitId, windowStart);
    }

    /** One column of a window's counter; 0 when the window has no counter yet. */
    private static long counterColumn(StorageTx tx, String column, String limitId, long windowStart) {
        return JdbcTx.of(tx).createQuery("SELECT " + column + " FROM tk_limit_counters"
                        + " WHERE limit_id = :id AND window_start = :w")
                .bind("id", limitId)
                .bind("w", windowStart)
                .mapTo(Long.class)
                .findOne()
                .orElse(0L);
    }

    @Override
    public java.util.Map<LimitCharge.Key, Long> addToCounters(StorageTx tx,
            java.util.SortedMap<LimitCharge.Key, Long> increments,
            java.util.SortedMap<LimitCharge.Key, Long> reservedDeltas) {
        java.util.TreeMap<LimitCharge.Key, long[]> all = new java.util.TreeMap<>();
        increments.forEach((k, n) -> all.computeIfAbsent(k, x -> new long[2])[0] += n);
        reservedDeltas.forEach((k, n) -> all.computeIfAbsent(k, x -> new long[2])[1] += n);
        java.util.Map<LimitCharge.Key, Long> totals = new java.util.HashMap<>();
        if (all.isEmpty()) {
            return totals;
        }
        String upsert = "INSERT INTO tk_limit_counters (limit_id, window_start, used, reserved) %s"
                + " ON CONFLICT (limit_id, window_start) DO UPDATE SET used = tk_limit_counters.used + excluded.used,"
                + " reserved = tk_limit_counters.reserved + excluded.reserved RETURNING limit_id, window_start, used";
        try {
            java.sql.Connection c = JdbcTx.of(tx).getConnection();
            if (dialect == Dialect.POSTGRESQL && all.size() > 1) {
                // one statement over arrays, rows in key order
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
                try (java.sql.PreparedStatement ps = c.prepareStatement(String.format(upsert,
                        "SELECT * FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[])"))) {
                    ps.setArray(1, c.createArrayOf("text", ids));
                    ps.setArray(2, c.createArrayOf("bigint", ws));
                    ps.setArray(3, c.createArrayOf("bigint", used));
                    ps.setArray(4, c.createArrayOf("bigint", reserved));
                    readTotals(ps, totals);
                }
                return totals;
            }
            try (java.sql.PreparedStatement ps = c.prepareStatement(String.format(upsert, "VALUES (?, ?, ?, ?)"))) {
                for (var e : all.entrySet()) {
                    ps.setString(1, e.getKey().limitId());
                    ps.setLong(2, e.getKey().windowStart());
                    ps.setLong(3, e.getValue()[0]);
                    ps.setLong(4, e.getValue()[1]);
                    readTotals(ps, totals);
                }
            }
            return totals;
        } catch (java.sql.SQLException e) {
            throw new dev.tokenkeeper.StorageException("counters could not be written", e);
        }
    }

    private static void readTotals(java.sql.PreparedStatement ps, java.util.Map<LimitCharge.Key, Long> totals)
            throws java.sql.SQLException {
        try (java.sql.ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                totals.put(new LimitCharge.Key(rs.getString(1), rs.getLong(2)), rs.getLong(3));
            }
        }
    }

    @Override
    public List<Limit> findByIds(StorageTx tx, java.util.Collection<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return JdbcTx.of(tx).createQuery("SELECT " + COLUMNS + " FROM tk_limits WHERE id IN (<ids>)")
                .bindList("ids", new java.util.ArrayList<>(ids))
                .map(LIMIT)
                .list();
    }

    @Override
    public boolean insertAlert(StorageTx tx, String limitId, long windowStart, String threshold, long used,
            long firedAt) {
        return JdbcTx.of(tx).createUpdate("INSERT INTO tk_limit_alerts (limit_id, window_start, threshold, used,"
                        + " fired_at) VALUES (:id, :w, :t, :used, :at) ON CONFLICT (limit_id, window_start, threshold)"
                        + " DO NOTHING")
                .bind("id", limitId)
                .bind("w", windowStart)
                .bind("t", threshold)
                .bind("used", used)
                .bind("at", firedAt)
                .execute() == 1;
    }

    @Override
    public long reserved(StorageTx tx, String limitId, long windowStart) {
        return counterColumn(tx, "reserved", limitId, windowStart);
    }

    @Override
    public long reserve(StorageTx tx, String reservationId, String limitId, long windowStart, long units, long cap,
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

    private static final RowMapper<Held> HELD = (rs, ctx) -> new Held(rs.getString("limit_id"),
            rs.getLong("window_start"), rs.getLong("units"));

    @Override
    public void adjustReservation(StorageTx tx, String reservationId, long units) {
        var h = JdbcTx.of(tx);
        Optional<Held> held = h.createQuery("SELECT limit_id, window_start, units FROM tk_limit_reservations"
                        + " WHERE id = :rid")
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
        addReservedTo(tx, held.get().limitId(), held.get().windowStart(), units - held.get().units());
    }

    @Override
    public boolean releaseReservation(StorageTx tx, String reservationId) {
        Optional<Held> held = JdbcTx.of(tx).createQuery("DELETE FROM tk_limit_reservations WHERE id = :rid"
                        + " RETURNING limit_id, window_start, units")
                .bind("rid", reservationId)
                .map(HELD)
                .findOne();
        held.ifPresent(x -> addReservedTo(tx, x.limitId(), x.windowStart(), -x.units()));
        return held.isPresent();
    }

    @Override
    public int releaseExpiredReservations(StorageTx tx, long now) {
        List<Held> expired = JdbcTx.of(tx).createQuery("DELETE FROM tk_limit_reservations WHERE expires_at <= :now"
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
    private static boolean ensureCounter(org.jdbi.v3.core.Handle h, String limitId, long windowStart) {
        return h.createUpdate("INSERT INTO tk_limit_counters (limit_id, window_start, used, reserved)"
                        + " VALUES (:id, :w, 0, 0) ON CONFLICT (limit_id, window_start) DO NOTHING")
                .bind("id", limitId)
                .bind("w", windowStart)
                .execute() > 0;
    }

    /** A lease row grows by what is added to it, and lives on to the new expiry. */
    private static final String LEASE_ROW_GROWS =
            " ON CONFLICT (id) DO UPDATE SET units = tk_limit_reservations.units + :n, expires_at = :exp";

    /** Adds {@code units} to the lease's row, creating it if needed. */
    private static void growLeaseRow(org.jdbi.v3.core.Handle h, String leaseId, String limitId, long windowStart,
            long units, long expiresAt) {
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
    public CounterState lockCounter(StorageTx tx, String limitId, long windowStart) {
        var h = JdbcTx.of(tx);
        ensureCounter(h, limitId, windowStart);
        // SQLite serializes writers; PostgreSQL locks the row until the transaction ends
        String lock = dialect == Dialect.POSTGRESQL ? " FOR UPDATE" : "";
        return h.createQuery("SELECT used, reserved, recall_at FROM tk_limit_counters"
                        + " WHERE limit_id = :id AND window_start = :w" + lock)
                .bind("id", limitId)
                .bind("w", windowStart)
                .map((rs, ctx) -> new CounterState(rs.getLong("used"), rs.getLong("reserved"),
                        rs.getObject("recall_at") != null))
                .one();
    }

    @Override
    public boolean growLease(StorageTx tx, String leaseId, String limitId, long windowStart, long units, long cap,
            long expiresAt) {
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

    // The counter's row is locked by the first query (read committed: its newest version), so the
    // update that follows sees the same values; the lease row grows by the same amount.
    private static final String TAKE_ON_LEASE_PG = "WITH x AS (SELECT LEAST(:want, :cap - used - reserved) AS g"
            + " FROM tk_limit_counters WHERE limit_id = :id AND window_start = :w AND used + reserved + :min <= :cap"
            + " FOR UPDATE),"
            + " c AS (UPDATE tk_limit_counters t SET reserved = t.reserved + x.g FROM x"
            + " WHERE t.limit_id = :id AND t.window_start = :w RETURNING x.g AS g, t.used + t.reserved AS claimed),"
            + " r AS (INSERT INTO tk_limit_reservations (id, limit_id, window_start, units, expires_at)"
            + " SELECT :rid, :id, :w, g, :exp FROM c"
            + " ON CONFLICT (id) DO UPDATE SET units = tk_limit_reservations.units + EXCLUDED.units, expires_at = :exp)"
            + " SELECT g, claimed FROM c";

    @Override
    public @Nullable Taken takeOnLease(StorageTx tx, String leaseId, String limitId, long windowStart, long want,
            long min, long cap, long expiresAt) {
        var h = JdbcTx.of(tx);
        if (dialect == Dialect.POSTGRESQL) {
            // one statement: the counter's row lock is taken first (the one lock order) and released at
            // commit, one round trip later
            for (int attempt = 0; attempt < 2; attempt++) {
                java.util.Optional<Taken> taken = h.createQuery(TAKE_ON_LEASE_PG)
                        .bind("want", want).bind("min", min).bind("id", limitId).bind("w", windowStart)
                        .bind("cap", cap).bind("rid", leaseId).bind("exp", expiresAt)
                        .map((rs, ctx) -> new Taken(rs.getLong("g"), rs.getLong("claimed")))
                        .findOne();
                if (taken.isPresent()) {
                    return taken.get();
                }
                if (attempt == 0 && !ensureCounter(h, limitId, windowStart)) {
                    return null; // the counter exists: not even min units fit
                }
            }
            return null;
        }
        ensureCounter(h, limitId, windowStart); // SQLite serializes writers: read, then write
        CounterState c = h.createQuery("SELECT used, reserved, recall_at FROM tk_limit_counters"
                        + " WHERE limit_id = :id AND window_start = :w")
                .bind("id", limitId).bind("w", windowStart)
                .map((rs, ctx) -> new CounterState(rs.getLong("used"), rs.getLong("reserved"), false))
                .one();
        long room = cap - c.used() - c.reserved();
        if (room < min) {
            return null;
        }
        long g = Math.min(want, room);
        if (g > 0) {
            addReserved(tx, limitId, windowStart, g);
            growLeaseRow(h, leaseId, limitId, windowStart, g, expiresAt);
        }
        return new Taken(g, c.used() + c.reserved() + g);
    }

    private static final String SHRINK_LEASE_PG = "WITH c AS (UPDATE tk_limit_counters SET reserved = reserved - :n"
            + " WHERE limit_id = :id AND window_start = :w RETURNING 1)"
            + " UPDATE tk_limit_reservations r SET units = r.units - :n FROM c WHERE r.id = :rid RETURNING r.id";

    @Override
    public boolean shrinkLease(StorageTx tx, String leaseId, String limitId, long windowStart, long units) {
        if (dialect == Dialect.POSTGRESQL) {
            // one statement, the counter first (the one lock order); a lease row the sweep released
            // already gives nothing back, so the counter's units are put back
            boolean present = JdbcTx.of(tx).createQuery(SHRINK_LEASE_PG)
                    .bind("n", units).bind("id", limitId).bind("w", windowStart).bind("rid", leaseId)
                    .mapTo(String.class).findOne().isPresent();
            if (!present) {
                addReserved(tx, limitId, windowStart, units);
            }
            return present;
        }
        return shrinkLeaseInSteps(tx, leaseId, limitId, windowStart, units);
    }

    private boolean shrinkLeaseInSteps(StorageTx tx, String leaseId, String limitId, long windowStart, long units) {
        // the counter first, as lease growth and the writer lock it: one lock order
        addReserved(tx, limitId, windowStart, -units);
        boolean present = shrinkLeaseRows(tx, new java.util.TreeMap<>(java.util.Map.of(leaseId, units))).isEmpty();
        if (!present) {
            addReserved(tx, limitId, windowStart, units); // released by the sweep already
        }
        return present;
    }

    @Override
    public java.util.Set<String> shrinkLeaseRows(StorageTx tx, java.util.SortedMap<String, Long> byLease) {
        java.util.Set<String> gone = new java.util.HashSet<>(byLease.keySet());
        if (byLease.isEmpty()) {
            return gone;
        }
        try {
            java.sql.Connection c = JdbcTx.of(tx).getConnection();
            if (dialect == Dialect.POSTGRESQL) {
                try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE tk_limit_reservations r"
                        + " SET units = r.units - v.n FROM unnest(?::text[], ?::bigint[]) v(id, n) WHERE r.id = v.id"
                        + " RETURNING r.id")) {
                    ps.setArray(1, c.createArrayOf("text", byLease.keySet().toArray(String[]::new)));
                    ps.setArray(2, c.createArrayOf("bigint", byLease.values().toArray(Long[]::new)));
                    try (java.sql.ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            gone.remove(rs.getString(1));
                        }
                    }
                }
                return gone;
            }
            try (java.sql.PreparedStatement ps = c.prepareStatement(
                    "UPDATE tk_limit_reservations SET units = units - ? WHERE id = ?")) {
                for (var e : byLease.entrySet()) {
                    ps.setLong(1, e.getValue());
                    ps.setString(2, e.getKey());
                    if (ps.executeUpdate() == 1) {
                        gone.remove(e.getKey());
                    }
                }
            }
            return gone;
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
                    .execute() == 0) {
                gone.add(id);
            }
        }
        return gone;
    }

    @Override
    public boolean recall(StorageTx tx, String limitId, long windowStart, long at, String ownLeaseId) {
        var h = JdbcTx.of(tx);
        h.createUpdate("UPDATE tk_limit_counters SET recall_at = :at"
                        + " WHERE limit_id = :id AND window_start = :w")
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
        return JdbcTx.of(tx).createQuery("SELECT limit_id, window_start FROM tk_limit_counters"
                        + " WHERE recall_at IS NOT NULL AND recall_at >= :since")
                .bind("since", since)
                .map((rs, ctx) -> new LimitCharge.Key(rs.getString("limit_id"), rs.getLong("window_start")))
                .list();
    }

    @Override
    public void addReserved(StorageTx tx, String limitId, long windowStart, long delta) {
        addReservedTo(tx, limitId, windowStart, delta);
    }

    private static void addReservedTo(StorageTx tx, String limitId, long windowStart, long delta) {
        JdbcTx.of(tx).createUpdate("UPDATE tk_limit_counters SET reserved = reserved + :d"
                        + " WHERE limit_id = :id AND window_start = :w")
                .bind("d", delta)
                .bind("id", limitId)
                .bind("w", windowStart)
                .execute();
    }

    @Override
    public void deleteCounters(StorageTx tx, String limitId) {
        JdbcTx.of(tx).createUpdate("DELETE FROM tk_limit_counters WHERE limit_id = :id").bind("id", limitId).execute();
        JdbcTx.of(tx).createUpdate("DELETE FROM tk_limit_alerts WHERE limit_id = :id").bind("id", limitId).execute();
        JdbcTx.of(tx).createUpdate("DELETE FROM tk_limit_reservations WHERE limit_id = :id").bind("id", limitId)
                .execute();
    }

    @Override
    public List<Limit> forScopes(StorageTx tx, String tenantId, @Nullable String userId, @Nullable String projectId,
            @Nullable String tokenId, @Nullable String runId) {
        // One indexed lookup per scope (a tenant may hold many user, token or run limits): absent ids
        // bind as '', which no user, project, token or run limit has.
        String one = "SELECT " + COLUMNS + " FROM tk_limits WHERE tenant_id = :tenant AND scope = ";
        return JdbcTx.of(tx).createQuery("SELECT * FROM (" + one + "'TENANT' AND scope_id = ''"
                        + " UNION ALL " + one + "'USER' AND scope_id = :user"
                        + " UNION ALL " + one + "'PROJECT' AND scope_id = :project"
                        + " UNION ALL " + one + "'TOKEN' AND scope_id = :token"
                        + " UNION ALL " + one + "'RUN' AND scope_id = :run) scoped ORDER BY id")
                .bind("tenant", tenantId)
                .bind("user", userId == null ? "" : userId)
                .bind("project", projectId == null ? "" : projectId)
                .bind("token", tokenId == null ? "" : tokenId)
                .bind("run", runId == null ? "" : runId)
                .map(LIMIT)
                .list();
    }
}
