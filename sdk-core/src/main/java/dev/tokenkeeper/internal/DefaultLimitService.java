package dev.tokenkeeper.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.Page;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.internal.audit.Auditor;
import dev.tokenkeeper.internal.limits.Budgets;
import dev.tokenkeeper.internal.limits.LimitCache;
import dev.tokenkeeper.internal.storage.LimitStore.ScopeChange;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.internal.util.Cursors;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitChange;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitScope;
import dev.tokenkeeper.limits.LimitService;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.limits.LimitUsage;
import dev.tokenkeeper.limits.LimitWindow;
import dev.tokenkeeper.pricing.Money;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/** Limits: stored per tenant, every change audited in the same transaction. */
public final class DefaultLimitService implements LimitService {
    private final Storage storage;
    private final Auditor auditor;
    private final Clock clock;
    private final LimitCache limitCache;
    private final Budgets budgets;
    /** Unshared budgets: what calls in flight on this instance hold on a limit (the open permits know). */
    private final BiFunction<Limit, Instant, Long> reservedOnThisInstance;

    private final boolean shared;

    public DefaultLimitService(
            Storage storage,
            Auditor auditor,
            Clock clock,
            LimitCache limitCache,
            Budgets budgets,
            boolean shared,
            BiFunction<Limit, Instant, Long> reservedOnThisInstance) {
        this.storage = storage;
        this.auditor = auditor;
        this.clock = clock;
        this.limitCache = limitCache;
        this.budgets = budgets;
        this.reservedOnThisInstance = reservedOnThisInstance;
        this.shared = shared;
    }

    @Override
    public Limit create(LimitSpec spec) {
        requireNonNull(spec, "spec");
        Instant now = Instant.ofEpochMilli(clock.millis());
        Limit limit = new Limit(
                Ids.uuid7(clock),
                spec.tenantId(),
                spec.name(),
                spec.scope(),
                spec.scopeId(),
                spec.provider(),
                spec.model(),
                spec.metric(),
                spec.period(),
                spec.zone(),
                spec.amount(),
                spec.grace(),
                spec.alertThresholds(),
                now,
                now);
        Limit created = storage.write(tx -> {
            if (storage.tenants().find(tx, spec.tenantId()).isEmpty()) {
                throw new NotFoundException(
                        ErrorCode.TENANT_NOT_FOUND, "tenant '" + spec.tenantId() + "' does not exist");
            }
            storage.limits().insert(tx, limit);
            storage.limits().recordChange(tx, Ids.uuid7(clock), scopeOf(limit), now.toEpochMilli());
            auditor.record(
                    tx,
                    limit.tenantId(),
                    spec.actor(),
                    AuditAction.LIMIT_CREATED,
                    "limit",
                    limit.id(),
                    AuditOutcome.SUCCESS,
                    describe(limit));
            return limit;
        });
        limitCache.scopeChanged(scopeOf(created));
        return created;
    }

    @Override
    public Limit update(String tenantId, String limitId, LimitChange change, Actor actor) {
        Checks.tenantId("tenant", tenantId);
        Checks.identifier("limitId", limitId);
        requireNonNull(change, "change");
        requireNonNull(actor, "actor");
        Limit result = storage.write(tx -> {
            Limit old = storage.limits().find(tx, tenantId, limitId).orElseThrow(() -> notFound(tenantId, limitId));
            long amount = change.amount() != null ? change.amount() : old.amount();
            long grace = change.grace() != null ? change.grace() : old.grace();
            dev.tokenkeeper.internal.limits.RateUnits.checkFits(old.metric(), old.period(), amount, grace);
            Limit updated = new Limit(
                    old.id(),
                    old.tenantId(),
                    change.name() != null ? change.name() : old.name(),
                    old.scope(),
                    old.scopeId(),
                    old.provider(),
                    old.model(),
                    old.metric(),
                    old.period(),
                    old.zone(),
                    amount,
                    grace,
                    change.alertThresholds() != null ? change.alertThresholds() : old.alertThresholds(),
                    old.createdAt(),
                    Instant.ofEpochMilli(clock.millis()));
            storage.limits().update(tx, updated);
            storage.limits()
                    .recordChange(
                            tx,
                            Ids.uuid7(clock),
                            scopeOf(updated),
                            updated.updatedAt().toEpochMilli());
            Map<String, String> meta = describe(updated);
            meta.put("previous_amount", quantity(old, old.amount()));
            meta.put("previous_grace", quantity(old, old.grace()));
            auditor.record(
                    tx, tenantId, actor, AuditAction.LIMIT_UPDATED, "limit", limitId, AuditOutcome.SUCCESS, meta);
            return updated;
        });
        limitCache.scopeChanged(scopeOf(result));
        // this instance's leases give back what they hold under the old cap (also when no cached list
        // holds the limit, which scopeChanged would have reported)
        budgets.limitChanged(limitId);
        return result;
    }

    @Override
    public boolean delete(String tenantId, String limitId, Actor actor) {
        Checks.tenantId("tenant", tenantId);
        Checks.identifier("limitId", limitId);
        requireNonNull(actor, "actor");
        Optional<Limit> deleted = storage.write(tx -> {
            Optional<Limit> old = storage.limits().find(tx, tenantId, limitId);
            if (old.isEmpty()) {
                return old;
            }
            storage.limits().delete(tx, tenantId, limitId);
            storage.counters().deleteCounters(tx, limitId);
            storage.limits().recordChange(tx, Ids.uuid7(clock), scopeOf(old.get()), clock.millis());
            auditor.record(
                    tx,
                    tenantId,
                    actor,
                    AuditAction.LIMIT_DELETED,
                    "limit",
                    limitId,
                    AuditOutcome.SUCCESS,
                    describe(old.get()));
            return old;
        });
        if (deleted.isPresent()) {
            limitCache.scopeChanged(scopeOf(deleted.get()));
            budgets.forget(limitId);
        }
        return deleted.isPresent();
    }

    @Override
    public Optional<Limit> find(String tenantId, String limitId) {
        Checks.tenantId("tenant", tenantId);
        Checks.identifier("limitId", limitId);
        return storage.read(tx -> storage.limits().find(tx, tenantId, limitId));
    }

    @Override
    public Optional<String> tenantOf(String limitId) {
        Checks.identifier("limitId", limitId);
        return storage.read(tx -> storage.limits().tenantOf(tx, limitId));
    }

    @Override
    public LimitUsage usage(String tenantId, String limitId) {
        Limit l = find(tenantId, limitId).orElseThrow(() -> notFound(tenantId, limitId));
        Instant now = Instant.ofEpochMilli(clock.millis());
        LimitWindow w = l.windowAt(now);
        if (l.period().rolling()) {
            return new LimitUsage(l, w, 0, 0);
        }
        long start = w.start().toEpochMilli();
        long used = storage.read(tx -> storage.counters().used(tx, l.id(), start));
        long reserved = shared
                ? storage.read(tx -> storage.counters().reserved(tx, l.id(), start))
                : reservedOnThisInstance.apply(l, now);
        return new LimitUsage(l, w, used, reserved);
    }

    @Override
    public Page<Limit> list(
            String tenantId, @Nullable LimitScope scope, @Nullable String scopeId, int limit, @Nullable String cursor) {
        Checks.tenantId("tenant", tenantId);
        Checks.pageLimit("limit", limit);
        if (scopeId != null) {
            Checks.identifier("scopeId", scopeId);
        }
        String after = cursor == null ? null : Cursors.decode(cursor, 1)[0];
        List<Limit> rows = storage.read(tx -> storage.limits().list(tx, tenantId, scope, scopeId, after, limit + 1));
        boolean more = rows.size() > limit;
        List<Limit> page = more ? rows.subList(0, limit) : rows;
        return new Page<>(page, more ? Cursors.encode(page.get(page.size() - 1).id()) : null);
    }

    @Override
    public List<Limit> applicable(
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String tokenId,
            @Nullable String runId,
            String provider,
            String model) {
        Checks.tenantId("tenant", tenantId);
        requireNonNull(provider, "provider");
        requireNonNull(model, "model");
        return storage.read(tx -> storage.limits().forScopes(tx, tenantId, userId, projectId, tokenId, runId)).stream()
                .filter(l -> l.matches(provider, model))
                .toList();
    }

    private static ScopeChange scopeOf(Limit l) {
        return new ScopeChange(l.tenantId(), l.scope(), l.scopeId());
    }

    private static NotFoundException notFound(String tenantId, String limitId) {
        return new NotFoundException(
                ErrorCode.LIMIT_NOT_FOUND, "limit '" + limitId + "' does not exist in tenant '" + tenantId + "'");
    }

    private static String quantity(Limit l, long units) {
        return l.metric() == LimitMetric.COST_USD ? Money.ofPicos(units).toString() : Long.toString(units);
    }

    private static Map<String, String> describe(Limit l) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", l.name());
        m.put("scope", l.scope().name().toLowerCase(java.util.Locale.ROOT));
        if (l.scopeId() != null) {
            m.put("scope_id", l.scopeId());
        }
        if (l.provider() != null) {
            m.put("provider", l.provider());
        }
        if (l.model() != null) {
            m.put("model", l.model());
        }
        m.put("metric", l.metric().name().toLowerCase(java.util.Locale.ROOT));
        m.put("period", l.period().name().toLowerCase(java.util.Locale.ROOT));
        m.put("zone", l.zone().getId());
        m.put("amount", quantity(l, l.amount()));
        m.put("grace", quantity(l, l.grace()));
        m.put("alert_thresholds", l.alertThresholds().toString());
        return m;
    }
}
