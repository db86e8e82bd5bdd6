package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.PriceStore;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.pricing.ModelPrice;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.Rates;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Update;
import org.jspecify.annotations.Nullable;

final class JdbcPriceStore implements PriceStore {
    private static final String COLUMNS = "provider, model, effective_from, input, cached_input, cache_write, output,"
            + " long_context_above, long_context_input, long_context_cached_input, long_context_cache_write,"
            + " long_context_output, source, checked_on";

    private static final RowMapper<ModelPrice> PRICE = (rs, ctx) -> {
        long above = rs.getLong("long_context_above");
        ModelPrice.LongContext lc = rs.wasNull() ? null : new ModelPrice.LongContext(above, rates(rs, "long_context_"));
        return new ModelPrice(
                rs.getString("provider"),
                rs.getString("model"),
                Instant.ofEpochMilli(rs.getLong("effective_from")),
                rates(rs, ""),
                lc,
                rs.getString("source"),
                LocalDate.parse(rs.getString("checked_on")));
    };

    private static Rates rates(ResultSet rs, String prefix) throws SQLException {
        return new Rates(
                Money.of(rs.getString(prefix + "input")),
                Money.of(rs.getString(prefix + "cached_input")),
                Money.of(rs.getString(prefix + "cache_write")),
                Money.of(rs.getString(prefix + "output")));
    }

    @Override
    public List<ModelPrice> list(StorageTx tx) {
        return JdbcTx.of(tx)
                .createQuery("SELECT " + COLUMNS + " FROM tk_prices ORDER BY provider, model, effective_from")
                .map(PRICE)
                .list();
    }

    @Override
    public Optional<ModelPrice> find(StorageTx tx, String provider, String model, Instant effectiveFrom) {
        return JdbcTx.of(tx)
                .createQuery("SELECT " + COLUMNS + " FROM tk_prices"
                        + " WHERE provider = :provider AND model = :model AND effective_from = :from")
                .bind("provider", provider)
                .bind("model", model)
                .bind("from", effectiveFrom.toEpochMilli())
                .map(PRICE)
                .findOne();
    }

    @Override
    public void upsert(StorageTx tx, ModelPrice p, long updatedAt, String updatedBy) {
        ModelPrice.LongContext lc = p.longContext();
        Update u = JdbcTx.of(tx)
                .createUpdate("INSERT INTO tk_prices (" + COLUMNS + ", updated_at, updated_by) VALUES"
                        + " (:provider, :model, :from, :input, :cached_input, :cache_write, :output, :lc_above, :lc_input,"
                        + " :lc_cached_input, :lc_cache_write, :lc_output, :source, :checked_on, :updated_at, :updated_by)"
                        + " ON CONFLICT (provider, model, effective_from) DO UPDATE SET input = excluded.input,"
                        + " cached_input = excluded.cached_input, cache_write = excluded.cache_write,"
                        + " output = excluded.output, long_context_above = excluded.long_context_above,"
                        + " long_context_input = excluded.long_context_input,"
                        + " long_context_cached_input = excluded.long_context_cached_input,"
                        + " long_context_cache_write = excluded.long_context_cache_write,"
                        + " long_context_output = excluded.long_context_output, source = excluded.source,"
                        + " checked_on = excluded.checked_on, updated_at = excluded.updated_at,"
                        + " updated_by = excluded.updated_by")
                .bind("provider", p.provider())
                .bind("model", p.model())
                .bind("from", p.effectiveFrom().toEpochMilli())
                .bind("source", p.source())
                .bind("checked_on", p.checkedOn().toString())
                .bind("updated_at", updatedAt)
                .bind("updated_by", updatedBy)
                .bind("lc_above", lc == null ? null : lc.aboveInputTokens());
        bindRates(u, "", p.rates());
        bindRates(u, "lc_", lc == null ? null : lc.rates());
        u.execute();
    }

    private static void bindRates(Update u, String prefix, @Nullable Rates r) {
        u.bind(prefix + "input", r == null ? null : plain(r.input()))
                .bind(prefix + "cached_input", r == null ? null : plain(r.cachedInput()))
                .bind(prefix + "cache_write", r == null ? null : plain(r.cacheWrite()))
                .bind(prefix + "output", r == null ? null : plain(r.output()));
    }

    private static String plain(Money m) {
        return m.amount().stripTrailingZeros().toPlainString();
    }

    @Override
    public boolean delete(StorageTx tx, String provider, String model, Instant effectiveFrom) {
        return JdbcTx.of(tx)
                        .createUpdate("DELETE FROM tk_prices"
                                + " WHERE provider = :provider AND model = :model AND effective_from = :from")
                        .bind("provider", provider)
                        .bind("model", model)
                        .bind("from", effectiveFrom.toEpochMilli())
                        .execute()
                == 1;
    }
}
