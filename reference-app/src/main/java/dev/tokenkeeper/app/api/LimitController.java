package dev.tokenkeeper.app.api;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitChange;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitScope;
import dev.tokenkeeper.limits.LimitSpec;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Limits of the caller's tenant. Amounts travel as strings: a whole number of tokens or requests, or
 * a decimal number of US dollars for {@code cost_usd} limits.
 *
 * <p>Admins manage every limit of the tenant. Users see the limits on themselves (scope
 * {@code user}, their id) and on their own tokens; they may add such limits, which only ever
 * restrict them further, and change or delete the ones they added, never one an admin set.
 */
@RestController
@RequestMapping("/api/v1/limits")
public class LimitController {
    private final TokenKeeper keeper;
    private final Access access;
    private final AccessAudit audit;
    private final LimitOwners owners;

    public LimitController(TokenKeeper keeper, Access access, AccessAudit audit, LimitOwners owners) {
        this.keeper = keeper;
        this.access = access;
        this.audit = audit;
        this.owners = owners;
    }

    record LimitView(
            String id,
            String name,
            String scope,
            @Nullable String scopeId,
            @Nullable String provider,
            @Nullable String model,
            String metric,
            String period,
            String zone,
            String amount,
            String grace,
            List<Integer> alertThresholds,
            Instant createdAt,
            Instant updatedAt) {
        static LimitView of(Limit l) {
            return new LimitView(
                    l.id(),
                    l.name(),
                    lower(l.scope()),
                    l.scopeId(),
                    l.provider(),
                    l.model(),
                    lower(l.metric()),
                    lower(l.period()),
                    l.zone().getId(),
                    l.metric().text(l.amount()),
                    l.metric().text(l.grace()),
                    l.alertThresholds(),
                    l.createdAt(),
                    l.updatedAt());
        }
    }

    record LimitPage(List<LimitView> items, @Nullable String nextCursor) {}

    record CreateLimitRequest(
            @Nullable String name,
            @Nullable String scope,
            @Nullable String scopeId,
            @Nullable String provider,
            @Nullable String model,
            @Nullable String metric,
            @Nullable String period,
            @Nullable String zone,
            @Nullable String amount,
            @Nullable String grace,
            @Nullable List<Integer> alertThresholds) {}

    record UpdateLimitRequest(
            @Nullable String name,
            @Nullable String amount,
            @Nullable String grace,
            @Nullable List<Integer> alertThresholds) {}

    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.CREATED)
    @PostMapping
    ResponseEntity<LimitView> create(@RequestBody CreateLimitRequest body, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        String tenant = caller.tenantId();
        LimitScope scope =
                parse(LimitScope.class, "scope", body.scope(), caller.admin() ? LimitScope.TENANT : LimitScope.USER);
        String scopeId = body.scopeId();
        if (!caller.admin()) {
            if (scope == LimitScope.USER && (scopeId == null || scopeId.equals(caller.userId()))) {
                scopeId = caller.userId();
            } else if (scope == LimitScope.TOKEN && scopeId != null) {
                access.token(caller, scopeId, request);
            } else {
                throw ApiException.forbidden("other_scope", "users set limits on themselves or their own tokens only");
            }
        }
        LimitMetric metric = parse(LimitMetric.class, "metric", body.metric(), null);
        LimitSpec.Builder b = LimitSpec.builder(tenant)
                .name(required("name", body.name()))
                .scope(scope, scopeId)
                .provider(body.provider())
                .model(body.model())
                .amount(metric, metric.parse("amount", required("amount", body.amount())))
                .grace(body.grace() == null ? 0 : metric.parse("grace", body.grace()))
                .period(parse(LimitPeriod.class, "period", body.period(), LimitPeriod.MONTH))
                .zone(zone(body.zone()))
                .actor(caller.actor());
        if (body.alertThresholds() != null) {
            b.alertThresholds(body.alertThresholds());
        }
        Limit created = keeper.limits().create(b.build());
        if (!caller.admin()) {
            owners.record(created.id(), caller.userId());
        }
        return ResponseEntity.created(URI.create("/api/v1/limits/" + created.id()))
                .body(LimitView.of(created));
    }

    @GetMapping
    LimitPage list(
            @RequestParam(name = "scope", required = false) @Nullable String scope,
            @RequestParam(name = "scope_id", required = false) @Nullable String scopeId,
            @RequestParam(name = "limit", defaultValue = "100") int limit,
            @RequestParam(name = "cursor", required = false) @Nullable String cursor,
            HttpServletRequest request) {
        Caller caller = Caller.of(request);
        LimitScope s = scope == null ? null : parse(LimitScope.class, "scope", scope, null);
        if (caller.admin()) {
            var page = keeper.limits().list(caller.tenantId(), s, scopeId, limit, cursor);
            return new LimitPage(page.items().stream().map(LimitView::of).toList(), page.nextCursor());
        }
        return ownLimits(caller, s, scopeId, request);
    }

    /**
     * A user's limits in one page: those on the user and on each of their tokens (a user has few),
     * optionally of one scope and scope id.
     */
    private LimitPage ownLimits(
            Caller caller, @Nullable LimitScope scope, @Nullable String scopeId, HttpServletRequest request) {
        String user = java.util.Objects.requireNonNull(caller.userId());
        List<String[]> scopes = new java.util.ArrayList<>();
        if (scope == null) {
            if (scopeId != null) {
                throw TokenController.badRequest("scope_id", "needs a scope");
            }
            scopes.add(new String[] {"USER", user});
            ownTokens(caller).forEach(t -> scopes.add(new String[] {"TOKEN", t}));
        } else if (scope == LimitScope.USER) {
            if (scopeId != null && !scopeId.equals(user)) {
                throw ApiException.forbidden("other_user", "users see their own limits only");
            }
            scopes.add(new String[] {"USER", user});
        } else if (scope == LimitScope.TOKEN) {
            if (scopeId != null) {
                access.token(caller, scopeId, request);
                scopes.add(new String[] {"TOKEN", scopeId});
            } else {
                ownTokens(caller).forEach(t -> scopes.add(new String[] {"TOKEN", t}));
            }
        } else {
            throw ApiException.forbidden("other_scope", "users see the limits on themselves and their tokens only");
        }
        List<LimitView> items = new java.util.ArrayList<>();
        for (String[] sc : scopes) {
            String cursor = null;
            do {
                var page = keeper.limits().list(caller.tenantId(), LimitScope.valueOf(sc[0]), sc[1], 1000, cursor);
                page.items().forEach(l -> items.add(LimitView.of(l)));
                cursor = page.nextCursor();
            } while (cursor != null);
        }
        items.sort(java.util.Comparator.comparing(LimitView::createdAt).thenComparing(LimitView::id));
        return new LimitPage(items, null);
    }

    private List<String> ownTokens(Caller caller) {
        List<String> ids = new java.util.ArrayList<>();
        String cursor = null;
        do {
            var page = keeper.tokens()
                    .list(dev.tokenkeeper.tokens.TokenQuery.builder(caller.tenantId())
                            .user(caller.userId())
                            .limit(1000)
                            .cursor(cursor)
                            .build());
            page.items().forEach(t -> ids.add(t.id()));
            cursor = page.nextCursor();
        } while (cursor != null);
        return ids;
    }

    /** The limit, when the caller may see it; 404 otherwise, as for a limit that does not exist. */
    private Limit visible(Caller caller, String id, HttpServletRequest request) {
        String tenant = caller.tenantId();
        Limit l = keeper.limits().find(tenant, id).orElseThrow(() -> notFound(tenant, id));
        if (caller.admin()) {
            return l;
        }
        boolean own = (l.scope() == LimitScope.USER && java.util.Objects.equals(l.scopeId(), caller.userId()))
                || (l.scope() == LimitScope.TOKEN
                        && l.scopeId() != null
                        && keeper.tokens()
                                .find(tenant, l.scopeId())
                                .filter(t -> java.util.Objects.equals(t.userId(), caller.userId()))
                                .isPresent());
        if (!own) {
            audit.otherUser(request, "limit", id);
            throw notFound(tenant, id);
        }
        return l;
    }

    /** The limit, when the caller may change it: any for an admin, the ones they added for a user. */
    private Limit changeable(Caller caller, String id, HttpServletRequest request) {
        Limit l = visible(caller, id, request);
        if (!caller.admin() && !owners.ownedBy(id, caller.userId())) {
            throw ApiException.forbidden("not_limit_owner", "users change the limits they added, not an admin's");
        }
        return l;
    }

    @GetMapping("/{id}")
    LimitView get(@PathVariable("id") String id, HttpServletRequest request) {
        return LimitView.of(visible(Caller.of(request), id, request));
    }

    record LimitUsageView(
            String limitId,
            Instant windowStart,
            @Nullable Instant windowEnd,
            String amount,
            String used,
            String reserved,
            String remaining) {}

    /** The current window of a limit: committed usage, and what calls in flight on this instance reserve. */
    @GetMapping("/{id}/usage")
    LimitUsageView usage(@PathVariable("id") String id, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        visible(caller, id, request);
        var u = keeper.limits().usage(caller.tenantId(), id);
        LimitMetric m = u.limit().metric();
        return new LimitUsageView(
                id,
                u.window().start(),
                u.window().end(),
                m.text(u.limit().amount()),
                m.text(u.used()),
                m.text(u.reserved()),
                m.text(u.remaining()));
    }

    @PatchMapping("/{id}")
    LimitView update(@PathVariable("id") String id, @RequestBody UpdateLimitRequest body, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        Limit current = changeable(caller, id, request);
        LimitChange change = new LimitChange(
                body.name(),
                body.amount() == null ? null : current.metric().parse("amount", body.amount()),
                body.grace() == null ? null : current.metric().parse("grace", body.grace()),
                body.alertThresholds());
        return LimitView.of(keeper.limits().update(caller.tenantId(), id, change, caller.actor()));
    }

    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.NO_CONTENT)
    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable("id") String id, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        changeable(caller, id, request);
        if (!keeper.limits().delete(caller.tenantId(), id, caller.actor())) {
            throw notFound(caller.tenantId(), id);
        }
        owners.forget(id);
        return ResponseEntity.noContent().build();
    }

    private static NotFoundException notFound(String tenant, String id) {
        return new NotFoundException(
                ErrorCode.LIMIT_NOT_FOUND, "limit '" + id + "' does not exist in tenant '" + tenant + "'");
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static <E extends Enum<E>> E parse(
            Class<E> type, String field, @Nullable String value, @Nullable E fallback) {
        if (value == null) {
            if (fallback == null) {
                throw TokenController.badRequest(field, "is required");
            }
            return fallback;
        }
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw TokenController.badRequest(
                    field,
                    "'" + value + "' is not one of "
                            + java.util.Arrays.stream(type.getEnumConstants())
                                    .map(LimitController::lower)
                                    .toList());
        }
    }

    private static ZoneId zone(@Nullable String value) {
        try {
            return value == null ? java.time.ZoneOffset.UTC : ZoneId.of(value);
        } catch (DateTimeException e) {
            throw TokenController.badRequest("zone", "'" + value + "' is not a time zone such as Europe/Paris");
        }
    }

    private static String required(String field, @Nullable String value) {
        if (value == null || value.isBlank()) {
            throw TokenController.badRequest(field, "is required");
        }
        return value;
    }
}
