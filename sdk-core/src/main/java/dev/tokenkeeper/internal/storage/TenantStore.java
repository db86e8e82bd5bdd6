package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.tenancy.Tenant;
import java.util.List;
import java.util.Optional;

/** Tenants. */
public interface TenantStore {
    /** Inserts unless the id exists; returns whether it inserted. */
    boolean insertIfAbsent(StorageTx tx, Tenant tenant);

    Optional<Tenant> find(StorageTx tx, String id);

    /** Application tenants (ids not starting with {@code _}), by id. */
    List<Tenant> list(StorageTx tx);
}
