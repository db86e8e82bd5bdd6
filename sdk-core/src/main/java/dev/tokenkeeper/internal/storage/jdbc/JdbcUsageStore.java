package dev.tokenkeeper.internal.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.internal.storage.HourlyRollup;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.storage.UsageStore;
import dev.tokenkeeper.internal.usage.EventIds;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageTotals;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

final class JdbcUsageStore implements UsageStore {
    /** The columns of {@code tk_usage_events}, in the order of every statement that writes them. */
    private static final List<Column<UsageRow>> EVENT = List.of(
            Column.text("id", UsageRow::id),
            Column.text("tenant_id", UsageRow::tenantId),
            Column.text("request_id", UsageRow::requestId),
            Column.int8("at", UsageRow::at),
            Column.text("token_id", UsageRow::tokenId),
            Column.text("user_id", UsageRow::userId),
            Column.text("project_id", UsageRow::projectId),
            Column.text("provider", UsageRow::provider),
            Column.text("model", UsageRow::model),
            Column.int8("input_tokens", UsageRow::inputTokens),
            Column.int8("cached_input_tokens", UsageRow::cachedInputTokens),
            Column.int8("cache_write_tokens", UsageRow::cacheWriteTokens),
            Column.int8("output_tokens", UsageRow::outputTokens),
            Column.int8("reasoning_tokens", UsageRow::reasoningTokens),
            Column.int8("cost_input_pico", UsageRow::costInputPico),
            Column.int8("cost_cached_input_pico", UsageRow::costCachedInputPico),
            Column.int8("cost_cache_write_pico", UsageRow::costCacheWritePico),
            Column.int8("cost_output_pico", UsageRow::costOutputPico),
            Column.int8("cost_reasoning_pico", UsageRow::costReasoningPico),
            Column.int8("cost_pico", UsageRow::costPico),
            Column.int8("price_missing", r -> r.priceMissing() ? 1 : 0),
            Column.int8("latency_ms", UsageRow::latencyMs),
            Column.text("outcome", UsageRow::outcome),
            Column.text("usage_source", UsageRow::usageSource),
            Column.text("error_message", UsageRow::errorMessage),
            Column.text("metadata", UsageRow::metadataJson));

    /** The columns of {@code tk_usage_hourly}: the key, then the sums. */
    private static final List<Column<HourlyRollup>> ROLLUP = List.of(
            Column.text("tenant_id", r -> r.key().tenantId()),
            Column.int8("hour_start", r -> r.key().hourStart()),
            Column.text("token_id", r -> r.key().tokenId()),
            Column.text("user_id", r -> r.key().userId()),
            Column.text("project_id", r -> r.key().projectId()),
            Column.text("provider", r -> r.key().provider()),
            Column.text("model", r -> r.key().model()),
            Column.text("outcome", r -> r.key().outcome()),
            Column.int8("requests", HourlyRollup::requests),
            Column.int8("input_tokens", HourlyRollup::inputTokens),
            Column.int8("cached_input_tokens", HourlyRollup::cachedInputTokens),
            Column.int8("cache_write_tokens", HourlyRollup::cacheWriteTokens),
            Column.int8("output_tokens", HourlyRollup::outputTokens),
            Column.int8("reasoning_tokens", HourlyRollup::reasoningTokens),
            Column.int8("cost_pico", HourlyRollup::costPico),
            Column.int8("price_missing_requests", HourlyRollup::priceMissingRequests),
            Column.int8("latency_ms_sum", HourlyRollup::latencyMsSum));

    /** The columns of {@code tk_usage_tenant_hourly}: tenant and hour, then the same sums. */
    private static final List<Column<HourlyRollup>> TENANT_ROLLUP = java.util.stream.Stream.concat(
                    ROLLUP.subList(0, 2).stream(), ROLLUP.subList(8, ROLLUP.size()).stream())
            .toList();

    /** An increment of {@code tk_usage_dim_daily}: the sums of one value of one dimension on one UTC day. */
    private record DimDaily(DimKey key, HourlyRollup sums) {}

    /** The primary key of {@code tk_usage_dim_daily}, in its order. */
    private record DimKey(String tenantId, String dimension, long dayStart, String value)
            implements Comparable<DimKey> {
        @Override
        public int compareTo(DimKey o) {
            int c = tenantId.compareTo(o.tenantId);
            if (c == 0) {
                c = dimension.compareTo(o.dimension);
            }
            if (c == 0) {
                c = Long.compare(dayStart, o.dayStart);
            }
            return c != 0 ? c : value.compareTo(o.value);
        }
    }

    private static final List<Column<DimDaily>> DIM_DAILY = java.util.stream.Stream.concat(
                    java.util.stream.Stream.of(
                            Column.<DimDaily>text("tenant_id", d -> d.key().tenantId()),
                            Column.<DimDaily>text("dimension", d -> d.key().dimension()),
                            Column.<DimDaily>int8("day_start", d -> d.key().dayStart()),
                            Column.<DimDaily>text("dim_value", d -> d.key().value())),
                    ROLLUP.subList(8, ROLLUP.size()).stream()
                            .map(c -> Column.<DimDaily>int8(
                                    c.name(), d -> requireNonNull(c.number()).applyAsLong(d.sums()))))
            .toList();

    private static final long DAY = 86_400_000L;
    private static final int ROLLUP_KEY_COLUMNS = 8;
    private static final String EVENT_COLUMNS = Column.names(EVENT);
    private static final String EVENT_INSERT = "INSERT INTO tk_usage_events (" + EVENT_COLUMNS + ") ";
    private static final String ROLLUP_INSERT = "INSERT INTO tk_usage_hourly (" + Column.names(ROLLUP) + ") ";
    private static final String DIM_INSERT = "INSERT INTO tk_usage_dim_daily (" + Column.names(DIM_DAILY) + ") ";
    private static final String TENANT_INSERT =
            "INSERT INTO tk_usage_tenant_hourly (" + Column.names(TENANT_ROLLUP) + ") ";
    private static final String ON_CONFLICT_ADD = onConflictAdd("tk_usage_hourly", ROLLUP, ROLLUP_KEY_COLUMNS);
    private static final String TENANT_ON_CONFLICT_ADD = onConflictAdd("tk_usage_tenant_hourly", TENANT_ROLLUP, 2);
    private static final String DIM_ON_CONFLICT_ADD = onConflictAdd("tk_usage_dim_daily", DIM_DAILY, 4);

    private static <T> String onConflictAdd(String table, List<Column<T>> columns, int keyColumns) {
        return " ON CONFLICT (" + Column.names(columns.subList(0, keyColumns)) + ") DO UPDATE SET "
                + columns.subList(keyColumns, columns.size()).stream()
                        .map(c -> c.name() + " = " + table + "." + c.name() + " + excluded." + c.name())
                        .collect(Collectors.joining(", "));
    }

    private final Dialect dialect;

    JdbcUsageStore(Dialect dialect) {
        this.dialect = dialect;
    }

    /** Inserts, skipping ids already stored, the way the dialect does it fastest ({@link Dialect#insertNew}). */
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
        try {
            dialect.insertNew(
                    tx,
                    unique,
                    EVENT,
                    "tk_usage_events",
                    EVENT_INSERT,
                    " ON CONFLICT (tenant_id, id) DO NOTHING",
                    firstIndex,
                    UsageRow::id,
                    inserted);
        } catch (SQLException e) {
            throw new StorageException("writing usage events failed: " + e.getMessage(), e);
        }
        return inserted;
    }

    /**
     * Upserts pre-aggregated increments (each key once), in key order: two instances adding to the
     * same roll-up rows then lock them in the same order and cannot deadlock.
     */
    @Override
    public void addToRollups(StorageTx tx, Collection<HourlyRollup> increments) {
        if (increments.isEmpty()) {
            return;
        }
        List<HourlyRollup> sorted = new ArrayList<>(increments);
        sorted.sort(HourlyRollup.KEY_ORDER);
        // Aggregated in hash maps of mutable sums, then sorted once: the key order is the lock order.
        Map<HourlyRollup.Key, HourlyRollup.Sums> perTenant = new HashMap<>();
        Map<DimKey, HourlyRollup.Sums> perValue = new HashMap<>();
        UsageDimension[] dimensions = UsageDimension.values();
        for (HourlyRollup r : sorted) {
            HourlyRollup.Key k = r.key();
            perTenant
                    .computeIfAbsent(
                            new HourlyRollup.Key(k.tenantId(), k.hourStart(), "", "", "", "", "", ""),
                            t -> new HourlyRollup.Sums())
                    .add(r);
            long day = Math.floorDiv(k.hourStart(), DAY) * DAY;
            for (UsageDimension d : dimensions) {
                String value = switch (d) {
                    case PROVIDER -> k.provider();
                    case MODEL -> k.model();
                    case PROJECT -> k.projectId();
                    case USER -> k.userId();
                    case TOKEN -> k.tokenId();
                };
                perValue.computeIfAbsent(new DimKey(k.tenantId(), d.column(), day, value), v -> new HourlyRollup.Sums())
                        .add(r);
            }
        }
        List<HourlyRollup> tenantRows = new ArrayList<>(perTenant.size());
        perTenant.forEach((key, sum) -> tenantRows.add(sum.toRollup(key)));
        tenantRows.sort(HourlyRollup.KEY_ORDER);
        List<DimDaily> dimRows = new ArrayList<>(perValue.size());
        perValue.forEach((key, sum) -> dimRows.add(new DimDaily(key, sum.toRollup(HourlyRollup.Key.NONE))));
        dimRows.sort((x, y) -> x.key().compareTo(y.key()));
        try {
            dialect.bulkWrite(tx, sorted, ROLLUP, ROLLUP_INSERT, ON_CONFLICT_ADD, (ps, chunk) -> ps.executeUpdate());
            dialect.bulkWrite(
                    tx, dimRows, DIM_DAILY, DIM_INSERT, DIM_ON_CONFLICT_ADD, (ps, chunk) -> ps.executeUpdate());
            dialect.bulkWrite(
                    tx,
                    tenantRows,
                    TENANT_ROLLUP,
                    TENANT_INSERT,
                    TENANT_ON_CONFLICT_ADD,
                    (ps, chunk) -> ps.executeUpdate());
        } catch (SQLException e) {
            throw new StorageException("writing usage roll-ups failed: " + e.getMessage(), e);
        }
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
        BigInteger picos = BigInteger.valueOf(rs.getLong("cost_micro"))
                .multiply(BigInteger.valueOf(1_000_000))
                .add(BigInteger.valueOf(rs.getLong("cost_rest")));
        return new UsageTotals(
                rs.getLong("requests"),
                rs.getLong("input_tokens"),
                rs.getLong("cached_input_tokens"),
                rs.getLong("cache_write_tokens"),
                rs.getLong("output_tokens"),
                rs.getLong("reasoning_tokens"),
                Money.of(new BigDecimal(picos, Money.SCALE)),
                rs.getLong("price_missing_requests"),
                rs.getLong("latency_ms_sum"));
    }

    private static Conditions conditions(UsageQuery q) {
        return dimensions(
                new Conditions()
                        .where("tenant_id = :tenant", "tenant", q.tenantId())
                        .where("hour_start >= :from", "from", q.hourFrom().toEpochMilli())
                        .where("hour_start < :to", "to", q.hourTo().toEpochMilli()),
                q.tokenId(),
                q.userId(),
                q.projectId(),
                q.provider(),
                q.model(),
                q.outcome());
    }

    /**
     * The optional dimension and outcome filters shared by roll-up and trace queries (same columns in
     * both tables).
     */
    private static Conditions dimensions(
            Conditions c,
            @Nullable String tokenId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String provider,
            @Nullable String model,
            @Nullable CallOutcome outcome) {
        return c.equal("token_id", "token", tokenId)
                .equal("user_id", "user", userId)
                .equal("project_id", "project", projectId)
                .equal("provider", "provider", provider)
                .equal("model", "model", model)
                .equal("outcome", "outcome", outcome == null ? null : outcome.name());
    }

    /**
     * Whether the query filters on nothing but its tenant and range: then the tenant-wide roll-ups
     * (hourly, or daily by dimension) answer it.
     */
    private static boolean unfiltered(UsageQuery q) {
        return q.tokenId() == null
                && q.userId() == null
                && q.projectId() == null
                && q.provider() == null
                && q.model() == null
                && q.outcome() == null;
    }

    /**
     * Without a dimension filter, the tenant's hourly totals answer; with one, the dimensional
     * roll-ups, through the index of the filtered dimension.
     */
    @Override
    public List<Keyed<Long>> totalsByHour(StorageTx tx, UsageQuery q) {
        Conditions c = conditions(q);
        String table = unfiltered(q) ? "tk_usage_tenant_hourly" : "tk_usage_hourly";
        Query query = JdbcTx.of(tx)
                .createQuery("SELECT hour_start, " + SUMS + " FROM " + table + c.sql()
                        + " GROUP BY hour_start ORDER BY hour_start");
        return c.bind(query)
                .map((rs, ctx) -> new Keyed<>(rs.getLong("hour_start"), totals(rs)))
                .list();
    }

    /** The summed columns, as stored in every roll-up table. */
    private static final String SUMMED_COLUMNS = Column.names(ROLLUP.subList(ROLLUP_KEY_COLUMNS, ROLLUP.size()));

    /**
     * Grouped by {@code dimension}, costliest first. Without a dimension filter, the whole UTC days
     * of the range come from {@code tk_usage_dim_daily} and only the partial days at its ends from
     * {@code tk_usage_hourly}; with a filter, everything from {@code tk_usage_hourly}.
     */
    @Override
    public List<Keyed<String>> totalsBy(StorageTx tx, UsageQuery q, UsageDimension dimension, int limit) {
        String col = dimension.column();
        long from = q.hourFrom().toEpochMilli();
        long to = q.hourTo().toEpochMilli();
        long dayFrom = Math.floorDiv(from + DAY - 1, DAY) * DAY;
        long dayTo = Math.floorDiv(to, DAY) * DAY;
        Query query;
        if (unfiltered(q) && dayFrom < dayTo) {
            String hourly = "SELECT " + col + " AS group_key, " + SUMMED_COLUMNS + " FROM tk_usage_hourly"
                    + " WHERE tenant_id = :tenant AND hour_start >= ";
            query = JdbcTx.of(tx)
                    .createQuery(
                            "SELECT group_key, " + SUMS + " FROM ("
                                    + "SELECT dim_value AS group_key, " + SUMMED_COLUMNS + " FROM tk_usage_dim_daily"
                                    + " WHERE tenant_id = :tenant AND dimension = :dimension"
                                    + " AND day_start >= :dayFrom AND day_start < :dayTo"
                                    + " UNION ALL " + hourly + ":from AND hour_start < :dayFrom"
                                    + " UNION ALL " + hourly + ":dayTo AND hour_start < :to"
                                    + ") parts GROUP BY group_key ORDER BY cost_micro DESC, cost_rest DESC, group_key LIMIT :limit")
                    .bind("tenant", q.tenantId())
                    .bind("dimension", col)
                    .bind("from", from)
                    .bind("to", to)
                    .bind("dayFrom", dayFrom)
                    .bind("dayTo", dayTo);
        } else {
            Conditions c = conditions(q);
            query = c.bind(JdbcTx.of(tx)
                    .createQuery("SELECT " + col + " AS group_key, " + SUMS + " FROM tk_usage_hourly" + c.sql()
                            + " GROUP BY " + col
                            + " ORDER BY cost_micro DESC, cost_rest DESC, group_key LIMIT :limit"));
        }
        return query.bind("limit", limit)
                .map((rs, ctx) -> new Keyed<>(rs.getString("group_key"), totals(rs)))
                .list();
    }

    private static final RowMapper<UsageRow> EVENT_ROW = (rs, ctx) -> new UsageRow(
            rs.getString("id"),
            rs.getString("tenant_id"),
            rs.getString("request_id"),
            rs.getLong("at"),
            rs.getString("token_id"),
            rs.getString("user_id"),
            rs.getString("project_id"),
            rs.getString("provider"),
            rs.getString("model"),
            rs.getLong("input_tokens"),
            rs.getLong("cached_input_tokens"),
            rs.getLong("cache_write_tokens"),
            rs.getLong("output_tokens"),
            rs.getLong("reasoning_tokens"),
            rs.getLong("cost_input_pico"),
            rs.getLong("cost_cached_input_pico"),
            rs.getLong("cost_cache_write_pico"),
            rs.getLong("cost_output_pico"),
            rs.getLong("cost_reasoning_pico"),
            rs.getLong("cost_pico"),
            rs.getInt("price_missing") != 0,
            rs.getLong("latency_ms"),
            rs.getString("outcome"),
            rs.getString("usage_source"),
            rs.getString("error_message"),
            rs.getString("metadata"));

    /**
     * Newest first, by the primary key (tenant, id): ids begin with the event time, so the time range
     * is also an id range and the listing walks one index backwards without sorting.
     */
    @Override
    public List<UsageRow> traces(StorageTx tx, TraceQuery q, @Nullable String beforeId, int limit) {
        Conditions c = dimensions(
                        new Conditions()
                                .where("tenant_id = :tenant", "tenant", q.tenantId())
                                .whereIf(
                                        q.from() == null
                                                ? null
                                                : EventIds.lowerBound(q.from().toEpochMilli()),
                                        "id >= :fromId",
                                        "fromId")
                                .whereIf(
                                        q.to() == null ? null : EventIds.lowerBound(q.to().toEpochMilli()),
                                        "id < :toId",
                                        "toId"),
                        q.tokenId(),
                        q.userId(),
                        q.projectId(),
                        q.provider(),
                        q.model(),
                        q.outcome())
                .whereIf(beforeId, "id < :beforeId", "beforeId");
        Query query = JdbcTx.of(tx)
                .createQuery("SELECT " + EVENT_COLUMNS + " FROM tk_usage_events" + c.sql()
                        + " ORDER BY tenant_id DESC, id DESC LIMIT :limit");
        return c.bind(query).bind("limit", limit).map(EVENT_ROW).list();
    }

    @Override
    public Optional<UsageRow> trace(StorageTx tx, String tenantId, String id) {
        return JdbcTx.of(tx)
                .createQuery("SELECT " + EVENT_COLUMNS + " FROM tk_usage_events WHERE tenant_id = :tenant AND id = :id")
                .bind("tenant", tenantId)
                .bind("id", id)
                .map(EVENT_ROW)
                .findOne();
    }

    @Override
    public int purgeBefore(StorageTx tx, String tenantId, long cutoff, int limit) {
        return JdbcTx.of(tx)
                .createUpdate("DELETE FROM tk_usage_events WHERE tenant_id = :tenant AND id IN (SELECT id"
                        + " FROM tk_usage_events WHERE tenant_id = :tenant AND id < :cutoff ORDER BY tenant_id, id"
                        + " LIMIT :limit)")
                .bind("tenant", tenantId)
                .bind("cutoff", EventIds.lowerBound(cutoff))
                .bind("limit", limit)
                .execute();
    }
}
