package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.HourlyRollup;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.storage.UsageStore;
import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageTotals;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

final class JdbcUsageStore implements UsageStore {
    private static final String EVENT_COLUMNS = "id, tenant_id, request_id, at, token_id, user_id, project_id, provider,"
            + " model, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,"
            + " cost_input_pico, cost_cached_input_pico, cost_cache_write_pico, cost_output_pico, cost_reasoning_pico,"
            + " cost_pico, price_missing, latency_ms, outcome, usage_source, error_message, metadata";

    private static final String ROLLUP_COLUMNS = "tenant_id, hour_start, token_id, user_id, project_id, provider, model,"
            + " outcome, requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,"
            + " reasoning_tokens, cost_pico, price_missing_requests, latency_ms_sum";

    private static final String[] SUMMED = {"requests", "input_tokens", "cached_input_tokens", "cache_write_tokens",
        "output_tokens", "reasoning_tokens", "cost_pico", "price_missing_requests", "latency_ms_sum"};

    /** Rows per multi-row statement: 26 parameters each stays far below both backends' limits. */
    static final int CHUNK = 500;
    private static final int EVENT_PARAMS = 26;
    private static final int ROLLUP_PARAMS = 17;
    private final ConcurrentHashMap<Integer, String> insertSql = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, String> rollupSql = new ConcurrentHashMap<>();

    /**
     * Multi-row {@code INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id} with positional binding:
     * one round trip per {@value #CHUNK} rows, and the ids returned are exactly the rows inserted.
     */
    @Override
    public boolean[] insertEvents(StorageTx tx, List<UsageRow> rows) {
        boolean[] inserted = new boolean[rows.size()];
        // An id twice in one batch: only its first occurrence is offered to the database.
        Map<String, Integer> firstIndex = new HashMap<>(rows.size() * 2);
        List<UsageRow> unique = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            if (firstIndex.putIfAbsent(rows.get(i).id(), i) == null) {
                unique.add(rows.get(i));
            }
        }
        Connection c = JdbcTx.of(tx).getConnection();
        for (int from = 0; from < unique.size(); from += CHUNK) {
            List<UsageRow> chunk = unique.subList(from, Math.min(from + CHUNK, unique.size()));
            String sql = insertSql.computeIfAbsent(chunk.size(), n -> "INSERT INTO tk_usage_events (" + EVENT_COLUMNS
                    + ") VALUES " + placeholders(n, EVENT_PARAMS) + " ON CONFLICT (id) DO NOTHING RETURNING id");
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int p = 1;
                for (UsageRow r : chunk) {
                    ps.setString(p++, r.id());
                    ps.setString(p++, r.tenantId());
                    ps.setString(p++, r.requestId());
                    ps.setLong(p++, r.at());
                    ps.setString(p++, r.tokenId());
                    ps.setString(p++, r.userId());
                    ps.setString(p++, r.projectId());
                    ps.setString(p++, r.provider());
                    ps.setString(p++, r.model());
                    ps.setLong(p++, r.inputTokens());
                    ps.setLong(p++, r.cachedInputTokens());
                    ps.setLong(p++, r.cacheWriteTokens());
                    ps.setLong(p++, r.outputTokens());
                    ps.setLong(p++, r.reasoningTokens());
                    ps.setLong(p++, r.costInputPico());
                    ps.setLong(p++, r.costCachedInputPico());
                    ps.setLong(p++, r.costCacheWritePico());
                    ps.setLong(p++, r.costOutputPico());
                    ps.setLong(p++, r.costReasoningPico());
                    ps.setLong(p++, r.costPico());
                    ps.setInt(p++, r.priceMissing() ? 1 : 0);
                    ps.setLong(p++, r.latencyMs());
                    ps.setString(p++, r.outcome());
                    ps.setString(p++, r.usageSource());
                    ps.setString(p++, r.errorMessage());
                    ps.setString(p++, r.metadataJson());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        inserted[firstIndex.get(rs.getString(1))] = true;
                    }
                }
            } catch (SQLException e) {
                throw new StorageException("writing usage events failed: " + e.getMessage(), e);
            }
        }
        return inserted;
    }

    /** Multi-row upsert of pre-aggregated increments (each key at most once per statement). */
    @Override
    public void addToRollups(StorageTx tx, Collection<HourlyRollup> increments) {
        if (increments.isEmpty()) {
            return;
        }
        List<HourlyRollup> all = new ArrayList<>(increments);
        Connection c = JdbcTx.of(tx).getConnection();
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<HourlyRollup> chunk = all.subList(from, Math.min(from + CHUNK, all.size()));
            String sql = rollupSql.computeIfAbsent(chunk.size(), n -> "INSERT INTO tk_usage_hourly (" + ROLLUP_COLUMNS
                    + ") VALUES " + placeholders(n, ROLLUP_PARAMS) + " ON CONFLICT (tenant_id, hour_start, token_id,"
                    + " user_id, project_id, provider, model, outcome) DO UPDATE SET " + SUM_SET);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int p = 1;
                for (HourlyRollup r : chunk) {
                    HourlyRollup.Key k = r.key();
                    ps.setString(p++, k.tenantId());
                    ps.setLong(p++, k.hourStart());
                    ps.setString(p++, k.tokenId());
                    ps.setString(p++, k.userId());
                    ps.setString(p++, k.projectId());
                    ps.setString(p++, k.provider());
                    ps.setString(p++, k.model());
                    ps.setString(p++, k.outcome());
                    ps.setLong(p++, r.requests());
                    ps.setLong(p++, r.inputTokens());
                    ps.setLong(p++, r.cachedInputTokens());
                    ps.setLong(p++, r.cacheWriteTokens());
                    ps.setLong(p++, r.outputTokens());
                    ps.setLong(p++, r.reasoningTokens());
                    ps.setLong(p++, r.costPico());
                    ps.setLong(p++, r.priceMissingRequests());
                    ps.setLong(p++, r.latencyMsSum());
                }
                ps.executeUpdate();
            } catch (SQLException e) {
                throw new StorageException("writing usage roll-ups failed: " + e.getMessage(), e);
            }
        }
    }

    private static final String SUM_SET = java.util.Arrays.stream(SUMMED)
            .map(col -> col + " = tk_usage_hourly." + col + " + excluded." + col)
            .collect(java.util.stream.Collectors.joining(", "));

    private static String placeholders(int rows, int params) {
        String row = "(" + "?, ".repeat(params - 1) + "?)";
        StringBuilder b = new StringBuilder(rows * (row.length() + 2));
        for (int i = 0; i < rows; i++) {
            b.append(i == 0 ? "" : ", ").append(row);
        }
        return b.toString();
    }

    /**
     * The sums. Costs are summed as whole micro-dollars plus the picodollar remainders, recombined
     * exactly by {@link #totals}, so that no backend's {@code SUM} can overflow.
     */
    private static final String SUMS = "SUM(requests) AS requests, SUM(input_tokens) AS input_tokens,"
            + " SUM(cached_input_tokens) AS cached_input_tokens, SUM(cache_write_tokens) AS cache_write_tokens,"
            + " SUM(output_tokens) AS output_tokens, SUM(reasoning_tokens) AS reasoning_tokens,"
            + " SUM(cost_pico / 1000000) AS cost_micro, SUM(cost_pico % 1000000) AS cost_rest,"
            + " SUM(price_missing_requests) AS price_missing_requests, SUM(latency_ms_sum) AS latency_ms_sum";

    private static UsageTotals totals(ResultSet rs) throws SQLException {
        BigInteger picos = BigInteger.valueOf(rs.getLong("cost_micro")).multiply(BigInteger.valueOf(1_000_000))
                .add(BigInteger.valueOf(rs.getLong("cost_rest")));
        return new UsageTotals(rs.getLong("requests"), rs.getLong("input_tokens"), rs.getLong("cached_input_tokens"),
                rs.getLong("cache_write_tokens"), rs.getLong("output_tokens"), rs.getLong("reasoning_tokens"),
                Money.of(new BigDecimal(picos, Money.SCALE)), rs.getLong("price_missing_requests"),
                rs.getLong("latency_ms_sum"));
    }

    private static Conditions conditions(UsageQuery q) {
        return dimensions(new Conditions()
                        .where("tenant_id = :tenant", "tenant", q.tenantId())
                        .where("hour_start >= :from", "from", q.hourFrom().toEpochMilli())
                        .where("hour_start < :to", "to", q.hourTo().toEpochMilli()),
                q.tokenId(), q.userId(), q.projectId(), q.provider(), q.model());
    }

    /** The optional dimension filters shared by roll-up and trace queries (same columns in both tables). */
    private static Conditions dimensions(Conditions c, @Nullable String tokenId, @Nullable String userId,
            @Nullable String projectId, @Nullable String provider, @Nullable String model) {
        return c.equal("token_id", "token", tokenId)
                .equal("user_id", "user", userId)
                .equal("project_id", "project", projectId)
                .equal("provider", "provider", provider)
                .equal("model", "model", model);
    }


    @Override
    public List<Keyed<Long>> totalsByHour(StorageTx tx, UsageQuery q) {
        Conditions c = conditions(q);
        Query query = JdbcTx.of(tx).createQuery("SELECT hour_start, " + SUMS + " FROM tk_usage_hourly" + c.sql()
                + " GROUP BY hour_start ORDER BY hour_start");
        return c.bind(query).map((rs, ctx) -> new Keyed<>(rs.getLong("hour_start"), totals(rs))).list();
    }

    @Override
    public List<Keyed<String>> totalsBy(StorageTx tx, UsageQuery q, UsageDimension dimension, int limit) {
        String col = dimension.column();
        Conditions c = conditions(q);
        Query query = JdbcTx.of(tx).createQuery("SELECT " + col + " AS group_key, " + SUMS + " FROM tk_usage_hourly"
                + c.sql() + " GROUP BY " + col + " ORDER BY cost_micro DESC, cost_rest DESC, group_key LIMIT :limit");
        return c.bind(query).bind("limit", limit)
                .map((rs, ctx) -> new Keyed<>(rs.getString("group_key"), totals(rs)))
                .list();
    }

    private static final RowMapper<UsageRow> EVENT = (rs, ctx) -> new UsageRow(
            rs.getString("id"), rs.getString("tenant_id"), rs.getString("request_id"), rs.getLong("at"),
            rs.getString("token_id"), rs.getString("user_id"), rs.getString("project_id"), rs.getString("provider"),
            rs.getString("model"), rs.getLong("input_tokens"), rs.getLong("cached_input_tokens"),
            rs.getLong("cache_write_tokens"), rs.getLong("output_tokens"), rs.getLong("reasoning_tokens"),
            rs.getLong("cost_input_pico"), rs.getLong("cost_cached_input_pico"), rs.getLong("cost_cache_write_pico"),
            rs.getLong("cost_output_pico"), rs.getLong("cost_reasoning_pico"), rs.getLong("cost_pico"),
            rs.getInt("price_missing") != 0, rs.getLong("latency_ms"), rs.getString("outcome"),
            rs.getString("usage_source"), rs.getString("error_message"), rs.getString("metadata"));

    @Override
    public List<UsageRow> traces(StorageTx tx, TraceQuery q, @Nullable Long beforeAt, @Nullable String beforeId,
            int limit) {
        Conditions c = dimensions(new Conditions()
                        .where("tenant_id = :tenant", "tenant", q.tenantId())
                        .whereIf(q.from() == null ? null : q.from().toEpochMilli(), "at >= :from", "from")
                        .whereIf(q.to() == null ? null : q.to().toEpochMilli(), "at < :to", "to"),
                q.tokenId(), q.userId(), q.projectId(), q.provider(), q.model())
                .equal("outcome", "outcome", q.outcome() == null ? null : q.outcome().name());
        if (beforeAt != null) {
            c.where("(at, id) < (:beforeAt, :beforeId)").value("beforeAt", beforeAt).value("beforeId", beforeId);
        }
        Query query = JdbcTx.of(tx).createQuery("SELECT " + EVENT_COLUMNS + " FROM tk_usage_events" + c.sql()
                + " ORDER BY at DESC, id DESC LIMIT :limit");
        return c.bind(query).bind("limit", limit).map(EVENT).list();
    }

    @Override
    public Optional<UsageRow> trace(StorageTx tx, String tenantId, String id) {
        return JdbcTx.of(tx)
                .createQuery("SELECT " + EVENT_COLUMNS + " FROM tk_usage_events WHERE tenant_id = :tenant AND id = :id")
                .bind("tenant", tenantId)
                .bind("id", id)
                .map(EVENT)
                .findOne();
    }

    @Override
    public int purgeBefore(StorageTx tx, String tenantId, long cutoff, int limit) {
        return JdbcTx.of(tx)
                .createUpdate("DELETE FROM tk_usage_events WHERE id IN (SELECT id FROM tk_usage_events"
                        + " WHERE tenant_id = :tenant AND at < :cutoff ORDER BY at LIMIT :limit)")
                .bind("tenant", tenantId)
                .bind("cutoff", cutoff)
                .bind("limit", limit)
                .execute();
    }
}
