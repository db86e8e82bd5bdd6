package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.LimitStore;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.util.Json;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitScope;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

/** Limit definitions ({@code tk_limits}) and their change feed. */
final class JdbcLimitStore implements LimitStore {
    private static final String COLUMNS = "id, tenant_id, name, scope, scope_id, provider, model, metric, period, zone,"
            + " amount, grace, alert_thresholds, created_at, updated_at";

    private static final RowMapper<Limit> LIMIT = (rs, ctx) -> {
        String scopeId = rs.getString("scope_id");
        return new Limit(
                rs.getString("id"),
                rs.getString("tenant_id"),
                rs.getString("name"),
                LimitScope.valueOf(rs.getString("scope")),
                scopeId.isEmpty() ? null : scopeId,
                rs.getString("provider"),
                rs.getString("model"),
                LimitMetric.valueOf(rs.getString("metric")),
                LimitPeriod.valueOf(rs.getString("period")),
                ZoneId.of(rs.getString("zone")),
                rs.getLong("amount"),
                rs.getLong("grace"),
                Json.readIntegers(rs.getString("alert_thresholds")),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    };

    @Override
    public void insert(StorageTx tx, Limit l) {
        JdbcTx.of(tx)
                .createUpdate("INSERT INTO tk_limits (" + COLUMNS + ") VALUES (:id, :tenant, :name, :scope,"
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
        return JdbcTx.of(tx)
                        .createUpdate(
                                "UPDATE tk_limits SET name = :name, amount = :amount, grace = :grace,"
                                        + " alert_thresholds = :thresholds, updated_at = :updatedAt WHERE tenant_id = :tenant AND id = :id")
                        .bind("name", l.name())
                        .bind("amount", l.amount())
                        .bind("grace", l.grace())
                        .bind("thresholds", Json.write(l.alertThresholds()))
                        .bind("updatedAt", l.updatedAt().toEpochMilli())
                        .bind("tenant", l.tenantId())
                        .bind("id", l.id())
                        .execute()
                == 1;
    }

    @Override
    public boolean delete(StorageTx tx, String tenantId, String id) {
        return JdbcTx.of(tx)
                        .createUpdate("DELETE FROM tk_limits WHERE tenant_id = :tenant AND id = :id")
                        .bind("tenant", tenantId)
                        .bind("id", id)
                        .execute()
                == 1;
    }

    @Override
    public void recordChange(StorageTx tx, String id, ScopeChange change, long changedAt) {
        JdbcTx.of(tx)
                .createUpdate("INSERT INTO tk_limit_changes (id, tenant_id, scope, scope_id, changed_at)"
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
        return JdbcTx.of(tx)
                .createQuery("SELECT DISTINCT tenant_id, scope, scope_id FROM tk_limit_changes"
                        + " WHERE changed_at > :since")
                .bind("since", since)
                .map((rs, ctx) -> {
                    String scopeId = rs.getString("scope_id");
                    return new ScopeChange(
                            rs.getString("tenant_id"),
                            LimitScope.valueOf(rs.getString("scope")),
                            scopeId.isEmpty() ? null : scopeId);
                })
                .list();
    }

    @Override
    public int pruneChanges(StorageTx tx, long before) {
        return JdbcTx.of(tx)
                .createUpdate("DELETE FROM tk_limit_changes WHERE changed_at < :before")
                .bind("before", before)
                .execute();
    }

    @Override
    public Optional<Limit> find(StorageTx tx, String tenantId, String id) {
        return JdbcTx.of(tx)
                .createQuery("SELECT " + COLUMNS + " FROM tk_limits WHERE tenant_id = :tenant AND id = :id")
                .bind("tenant", tenantId)
                .bind("id", id)
                .map(LIMIT)
                .findOne();
    }

    @Override
    public Optional<String> tenantOf(StorageTx tx, String id) {
        return JdbcTx.of(tx)
                .createQuery("SELECT tenant_id FROM tk_limits WHERE id = :id")
                .bind("id", id)
                .mapTo(String.class)
                .findOne();
    }

    @Override
    public List<Limit> list(
            StorageTx tx,
            String tenantId,
            @Nullable LimitScope scope,
            @Nullable String scopeId,
            @Nullable String afterId,
            int limit) {
        Conditions c = new Conditions()
                .where("tenant_id = :tenant", "tenant", tenantId)
                .equal("scope", "scope", scope == null ? null : scope.name())
                .equal("scope_id", "scopeId", scopeId)
                .whereIf(afterId, "id > :afterId", "afterId");
        Query q = JdbcTx.of(tx)
                .createQuery("SELECT " + COLUMNS + " FROM tk_limits" + c.sql() + " ORDER BY id LIMIT :limit");
        return c.bind(q).bind("limit", limit).map(LIMIT).list();
    }

    @Override
    public List<Limit> findByIds(StorageTx tx, java.util.Collection<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return JdbcTx.of(tx)
                .createQuery("SELECT " + COLUMNS + " FROM tk_limits WHERE id IN (<ids>)")
                .bindList("ids", new java.util.ArrayList<>(ids))
                .map(LIMIT)
                .list();
    }

    /**
     * Parsed threshold lists by their stored text: a deployment uses a handful of distinct lists, and
     * parsing one per limit charged was most of the alert rules' cost. Bounded: past its size, lists
     * are parsed each time.
     */
    private final ConcurrentHashMap<String, List<Integer>> thresholdLists = new ConcurrentHashMap<>();

    private static final int MAX_THRESHOLD_LISTS = 256;

    @Override
    public Map<String, AlertRule> alertRules(StorageTx tx, Collection<String> ids) {
        Map<String, AlertRule> rules = new HashMap<>();
        if (ids.isEmpty()) {
            return rules;
        }
        return JdbcTx.of(tx)
                .createQuery("SELECT id, amount, grace, alert_thresholds FROM tk_limits WHERE id IN (<ids>)")
                .bindList("ids", new ArrayList<>(ids))
                .scanResultSet((supplier, ctx) -> {
                    try (ResultSet rs = supplier.get()) {
                        while (rs.next()) {
                            rules.put(
                                    rs.getString(1),
                                    new AlertRule(rs.getLong(2), rs.getLong(3), thresholds(rs.getString(4))));
                        }
                    }
                    return rules;
                });
    }

    private List<Integer> thresholds(@Nullable String text) {
        if (text == null) {
            return List.of();
        }
        List<Integer> known = thresholdLists.get(text);
        if (known != null) {
            return known;
        }
        List<Integer> parsed = Json.readIntegers(text);
        if (thresholdLists.size() < MAX_THRESHOLD_LISTS) {
            thresholdLists.putIfAbsent(text, parsed);
        }
        return parsed;
    }

    @Override
    public List<Limit> forScopes(
            StorageTx tx,
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String tokenId,
            @Nullable String runId) {
        // One indexed lookup per scope (a tenant may hold many user, token or run limits): absent ids
        // bind as '', which no user, project, token or run limit has.
        String one = "SELECT " + COLUMNS + " FROM tk_limits WHERE tenant_id = :tenant AND scope = ";
        return JdbcTx.of(tx)
                .createQuery("SELECT * FROM (" + one + "'TENANT' AND scope_id = ''"
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
