package dev.tokenkeeper.internal;

import dev.tokenkeeper.ConflictException;
import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.internal.audit.Auditor;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.tenancy.Tenant;
import dev.tokenkeeper.tenancy.TenantService;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

public final class DefaultTenantService implements TenantService {
    private final Storage storage;
    private final Auditor auditor;
    private final Clock clock;

    public DefaultTenantService(Storage storage, Auditor auditor, Clock clock) {
        this.storage = storage;
        this.auditor = auditor;
        this.clock = clock;
    }

    @Override
    public Tenant create(String id, String name, Actor actor) {
        Checks.tenantId("id", id);
        if (id.startsWith("_")) {
            throw new InvalidRequestException("id", "tenant ids starting with '_' are reserved");
        }
        String cleanName = Checks.name("name", name);
        Tenant tenant = new Tenant(id, cleanName, Instant.ofEpochMilli(clock.millis()));
        return storage.write(tx -> {
            if (!storage.tenants().insertIfAbsent(tx, tenant)) {
                throw new ConflictException(ErrorCode.TENANT_EXISTS, "tenant '" + id + "' exists already");
            }
            auditor.record(
                    tx,
                    id,
                    actor,
                    AuditAction.TENANT_CREATED,
                    "tenant",
                    id,
                    AuditOutcome.SUCCESS,
                    Map.of("name", cleanName));
            return tenant;
        });
    }

    @Override
    public Tenant ensure(String id, String name) {
        Optional<Tenant> existing = find(id);
        if (existing.isPresent()) {
            return existing.get();
        }
        try {
            return create(id, name, Actor.SYSTEM);
        } catch (ConflictException raced) {
            return find(id).orElseThrow(() -> raced);
        }
    }

    @Override
    public Optional<Tenant> find(String id) {
        Checks.tenantId("id", id);
        return storage.read(tx -> storage.tenants().find(tx, id));
    }

    @Override
    public List<Tenant> list() {
        return storage.read(tx -> storage.tenants().list(tx));
    }
}
