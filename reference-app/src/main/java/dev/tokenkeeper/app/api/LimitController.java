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
 * Limits of the admin's tenant. Amounts travel as strings: a whole number of tokens or requests, or
 * a decimal number of US dollars for {@code cost_usd} limits.
 */
@RestController
@RequestMapping("/api/v1/limits")
public class LimitController {
    private final TokenKeeper keeper;

    public LimitController(TokenKeeper keeper) {
        this.keeper = keeper;
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

    @PostMapping
    ResponseEntity<LimitView> create(@RequestBody CreateLimitRequest body, HttpServletRequest request) {
        String tenant = AdminGuard.principal(request).tenantId();
        LimitMetric metric = parse(LimitMetric.class, "metric", body.metric(), null);
        LimitSpec.Builder b = LimitSpec.builder(tenant)
                .name(required("name", body.name()))
                .scope(parse(LimitScope.class, "scope", body.scope(), LimitScope.TENANT), body.scopeId())
                .provider(body.provider())
                .model(body.model())
                .amount(metric, metric.parse("amount", required("amount", body.amount())))
                .grace(body.grace() == null ? 0 : metric.parse("grace", body.grace()))
                .period(parse(LimitPeriod.class, "period", body.period(), LimitPeriod.MONTH))
                .zone(zone(body.zone()))
                .actor(AdminGuard.actor(request));
        if (body.alertThresholds() != null) {
            b.alertThresholds(body.alertThresholds());
        }
        Limit created = keeper.limits().create(b.build());
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
        var page = keeper.limits()
                .list(
                        AdminGuard.principal(request).tenantId(),
                        scope == null ? null : parse(LimitScope.class, "scope", scope, null),
                        scopeId,
                        limit,
                        cursor);
        return new LimitPage(page.items().stream().map(LimitView::of).toList(), page.nextCursor());
    }

    @GetMapping("/{id}")
    LimitView get(@PathVariable("id") String id, HttpServletRequest request) {
        String tenant = AdminGuard.principal(request).tenantId();
        return LimitView.of(keeper.limits().find(tenant, id).orElseThrow(() -> notFound(tenant, id)));
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
        String tenant = AdminGuard.principal(request).tenantId();
        var u = keeper.limits().usage(tenant, id);
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
        String tenant = AdminGuard.principal(request).tenantId();
        Limit current = keeper.limits().find(tenant, id).orElseThrow(() -> notFound(tenant, id));
        LimitChange change = new LimitChange(
                body.name(),
                body.amount() == null ? null : current.metric().parse("amount", body.amount()),
                body.grace() == null ? null : current.metric().parse("grace", body.grace()),
                body.alertThresholds());
        return LimitView.of(keeper.limits().update(tenant, id, change, AdminGuard.actor(request)));
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable("id") String id, HttpServletRequest request) {
        String tenant = AdminGuard.principal(request).tenantId();
        if (!keeper.limits().delete(tenant, id, AdminGuard.actor(request))) {
            throw notFound(tenant, id);
        }
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
