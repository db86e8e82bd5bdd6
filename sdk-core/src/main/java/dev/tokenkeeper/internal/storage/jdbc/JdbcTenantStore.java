package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.TenantStore;
import dev.tokenkeeper.tenancy.Tenant;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;

final class JdbcTenantStore implements TenantStore {
    private static final RowMapper<Tenant> MAPPER = (rs, ctx) ->
            new Tenant(rs.getString("id"), rs.getString("name"), Instant.ofEpochMilli(rs.getLong("created_at")));

    @Override
    public boolean insertIfAbsent(StorageTx tx, Tenant tenant) {
        return JdbcTx.of(tx)
                        .createUpdate("INSERT INTO tk_tenants (id, name, created_at) VALUES (:id, :name, :at)"
                                + " ON CONFLICT (id) DO NOTHING")
                        .bind("id", tenant.id())
                        .bind("name", tenant.name())
                        .bind("at", tenant.createdAt().toEpochMilli())
                        .execute()
                == 1;
    }

    @Override
    public Optional<Tenant> find(StorageTx tx, String id) {
        return JdbcTx.of(tx)
                .createQuery("SELECT id, name, created_at FROM tk_tenants WHERE id = :id")
                .bind("id", id)
                .map(MAPPER)
                .findOne();
    }

    @Override
    public List<Tenant> list(StorageTx tx) {
        return JdbcTx.of(tx)
                .createQuery(
                        "SELECT id, name, created_at FROM tk_tenants WHERE id NOT LIKE '\\_%' ESCAPE '\\' ORDER BY id")
                .map(MAPPER)
                .list();
    }
}
