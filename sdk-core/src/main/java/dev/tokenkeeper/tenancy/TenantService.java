package dev.tokenkeeper.tenancy;

import dev.tokenkeeper.audit.Actor;
import java.util.List;
import java.util.Optional;

/**
 * Creates and reads tenants. Tenant ids are opaque strings chosen by the application: 1 to 64
 * characters of letters, digits, {@code . _ -}, starting with a letter or digit. Ids starting with
 * {@code _} are reserved. Obtain it from {@code keeper.tenants()}; thread-safe.
 */
public interface TenantService {
    /**
     * Creates a tenant.
     *
     * @throws dev.tokenkeeper.InvalidRequestException when the id or name is not acceptable
     * @throws dev.tokenkeeper.ConflictException with {@code TENANT_EXISTS} when it exists already
     */
    Tenant create(String id, String name, Actor actor);

    /** Creates a tenant as {@link Actor#SYSTEM}. */
    default Tenant create(String id, String name) {
        return create(id, name, Actor.SYSTEM);
    }

    /** Returns the tenant, creating it (as {@link Actor#SYSTEM}) when it does not exist yet. */
    Tenant ensure(String id, String name);

    /** The tenant with that id, if it exists. */
    Optional<Tenant> find(String id);

    /** All tenants that applications created, ordered by id (reserved tenants are not listed). */
    List<Tenant> list();
}
