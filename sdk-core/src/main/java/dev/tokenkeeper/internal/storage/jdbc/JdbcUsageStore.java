package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.HourlyRollup;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.storage.UsageStore;
import java.util.Collection;
import java.util.List;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;

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

    private static final RowMapper<UsageRow> EVENT = (rs, ctx) -> new UsageRow(
            rs.getString("id"), rs.getString("tenant_id"), rs.getString("request_id"), rs.getLong("at"),
            rs.getString("token_id"), rs.getString("user_id"), rs.getString("project_id"), rs.getString("provider"),
            rs.getString("model"), rs.getLong("input_tokens"), rs.getLong("cached_input_tokens"),
            rs.getLong("cache_write_tokens"), rs.getLong("output_tokens"), rs.getLong("reasoning_tokens"),
            rs.getLong("cost_input_pico"), rs.getLong("cost_cached_input_pico"), rs.getLong("cost_cache_write_pico"),
            rs.getLong("cost_output_pico"), rs.getLong("cost_reasoning_pico"), rs.getLong("cost_pico"),
            rs.getInt("price_missing") != 0, rs.getLong("latency_ms"), rs.getString("outcome"),
            rs.getString("usage_source"), rs.getString("error_message"), rs.getString("metadata"));

    private static final RowMapper<HourlyRollup> ROLLUP = (rs, ctx) -> new HourlyRollup(
            new HourlyRollup.Key(rs.getString("tenant_id"), rs.getLong("hour_start"), rs.getString("token_id"),
                    rs.getString("user_id"), rs.getString("project_id"), rs.getString("provider"),
                    rs.getString("model"), rs.getString("outcome")),
            rs.getLong("requests"), rs.getLong("input_tokens"), rs.getLong("cached_input_tokens"),
            rs.getLong("cache_write_tokens"), rs.getLong("output_tokens"), rs.getLong("reasoning_tokens"),
            rs.getLong("cost_pico"), rs.getLong("price_missing_requests"), rs.getLong("latency_ms_sum"));

    @Override
    public boolean[] insertEvents(StorageTx tx, List<UsageRow> rows) {
        PreparedBatch batch = JdbcTx.of(tx).prepareBatch("INSERT INTO tk_usage_events (" + EVENT_COLUMNS + ") VALUES ("
                + ":id, :tenant, :request, :at, :token, :user, :project, :provider, :model, :in, :cachedIn, :cacheWrite,"
                + " :out, :reasoning, :cIn, :cCachedIn, :cCacheWrite, :cOut, :cReasoning, :cost, :priceMissing,"
                + " :latency, :outcome, :source, :error, :metadata) ON CONFLICT (id) DO NOTHING");
        for (UsageRow r : rows) {
            batch.bind("id", r.id()).bind("tenant", r.tenantId()).bind("request", r.requestId()).bind("at", r.at())
                    .bind("token", r.tokenId()).bind("user", r.userId()).bind("project", r.projectId())
                    .bind("provider", r.provider()).bind("model", r.model())
                    .bind("in", r.inputTokens()).bind("cachedIn", r.cachedInputTokens())
                    .bind("cacheWrite", r.cacheWriteTokens()).bind("out", r.outputTokens())
                    .bind("reasoning", r.reasoningTokens())
                    .bind("cIn", r.costInputPico()).bind("cCachedIn", r.costCachedInputPico())
                    .bind("cCacheWrite", r.costCacheWritePico()).bind("cOut", r.costOutputPico())
                    .bind("cReasoning", r.costReasoningPico()).bind("cost", r.costPico())
                    .bind("priceMissing", r.priceMissing() ? 1 : 0).bind("latency", r.latencyMs())
                    .bind("outcome", r.outcome()).bind("source", r.usageSource()).bind("error", r.errorMessage())
                    .bind("metadata", r.metadataJson())
                    .add();
        }
        int[] counts = batch.execute();
        boolean[] inserted = new boolean[rows.size()];
        for (int i = 0; i < counts.length; i++) {
            inserted[i] = counts[i] > 0;
        }
        return inserted;
    }

    @Override
    public void addToRollups(StorageTx tx, Collection<HourlyRollup> increments) {
        if (increments.isEmpty()) {
            return;
        }
        StringBuilder set = new StringBuilder();
        for (String c : SUMMED) {
            set.append(set.length() == 0 ? "" : ", ").append(c).append(" = tk_usage_hourly.").append(c)
                    .append(" + excluded.").append(c);
        }
        PreparedBatch batch = JdbcTx.of(tx).prepareBatch("INSERT INTO tk_usage_hourly (" + ROLLUP_COLUMNS + ") VALUES ("
                + ":tenant, :hour, :token, :user, :project, :provider, :model, :outcome, :requests, :in, :cachedIn,"
                + " :cacheWrite, :out, :reasoning, :cost, :priceMissing, :latency) ON CONFLICT (tenant_id, hour_start,"
                + " token_id, user_id, project_id, provider, model, outcome) DO UPDATE SET " + set);
        for (HourlyRollup r : increments) {
            HourlyRollup.Key k = r.key();
            batch.bind("tenant", k.tenantId()).bind("hour", k.hourStart()).bind("token", k.tokenId())
                    .bind("user", k.userId()).bind("project", k.projectId()).bind("provider", k.provider())
                    .bind("model", k.model()).bind("outcome", k.outcome())
                    .bind("requests", r.requests()).bind("in", r.inputTokens()).bind("cachedIn", r.cachedInputTokens())
                    .bind("cacheWrite", r.cacheWriteTokens()).bind("out", r.outputTokens())
                    .bind("reasoning", r.reasoningTokens()).bind("cost", r.costPico())
                    .bind("priceMissing", r.priceMissingRequests()).bind("latency", r.latencyMsSum())
                    .add();
        }
        batch.execute();
    }

    @Override
    public List<UsageRow> events(StorageTx tx, String tenantId, long from, long to) {
        return JdbcTx.of(tx)
                .createQuery("SELECT " + EVENT_COLUMNS + " FROM tk_usage_events WHERE tenant_id = :tenant"
                        + " AND at >= :from AND at < :to ORDER BY at, id")
                .bind("tenant", tenantId).bind("from", from).bind("to", to)
                .map(EVENT)
                .list();
    }

    @Override
    public List<HourlyRollup> rollups(StorageTx tx, String tenantId, long from, long to) {
        return JdbcTx.of(tx)
                .createQuery("SELECT " + ROLLUP_COLUMNS + " FROM tk_usage_hourly WHERE tenant_id = :tenant"
                        + " AND hour_start >= :from AND hour_start < :to")
                .bind("tenant", tenantId).bind("from", from).bind("to", to)
                .map(ROLLUP)
                .list();
    }
}
