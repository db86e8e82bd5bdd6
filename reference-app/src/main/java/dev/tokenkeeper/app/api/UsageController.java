package dev.tokenkeeper.app.api;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.usage.Granularity;
import dev.tokenkeeper.usage.UsageBreakdown;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageSeries;
import dev.tokenkeeper.usage.UsageTotals;
import jakarta.servlet.http.HttpServletRequest;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Usage analytics of the caller's tenant (a user's own usage only), answered from the hourly roll-ups. Amounts of money are
 * decimal strings (exact); ranges default to the last 30 days and widen to whole UTC hours.
 */
@RestController
@RequestMapping("/api/v1/usage")
public class UsageController {
    private final TokenKeeper keeper;
    private final Access access;

    public UsageController(TokenKeeper keeper, Access access) {
        this.keeper = keeper;
        this.access = access;
    }

    record TotalsView(
            long requests,
            long inputTokens,
            long cachedInputTokens,
            long cacheWriteTokens,
            long outputTokens,
            long reasoningTokens,
            long totalTokens,
            String costUsd,
            long priceMissingRequests,
            double averageLatencyMs) {
        static TotalsView of(UsageTotals t) {
            return new TotalsView(
                    t.requests(),
                    t.inputTokens(),
                    t.cachedInputTokens(),
                    t.cacheWriteTokens(),
                    t.outputTokens(),
                    t.reasoningTokens(),
                    t.totalTokens(),
                    t.cost().toString(),
                    t.priceMissingRequests(),
                    t.averageLatencyMillis());
        }
    }

    record PointView(Instant start, TotalsView totals) {}

    record SeriesView(String granularity, String zone, boolean approximate, List<PointView> points) {}

    record UsageView(Instant from, Instant to, TotalsView totals, SeriesView series) {}

    record RowView(String key, TotalsView totals) {}

    record BreakdownView(String dimension, Instant from, Instant to, List<RowView> rows) {}

    @GetMapping
    UsageView usage(
            @RequestParam(name = "from", required = false) @Nullable String from,
            @RequestParam(name = "to", required = false) @Nullable String to,
            @RequestParam(name = "granularity", defaultValue = "day") String granularity,
            @RequestParam(name = "zone", defaultValue = "UTC") String zone,
            @RequestParam(name = "token_id", required = false) @Nullable String tokenId,
            @RequestParam(name = "user_id", required = false) @Nullable String userId,
            @RequestParam(name = "project_id", required = false) @Nullable String projectId,
            @RequestParam(name = "provider", required = false) @Nullable String provider,
            @RequestParam(name = "model", required = false) @Nullable String model,
            @RequestParam(name = "status", required = false) @Nullable String status,
            HttpServletRequest request) {
        UsageQuery q = query(request, from, to, userId)
                .token(tokenId)
                .project(projectId)
                .provider(provider)
                .model(model)
                .outcome(TraceController.outcome(status))
                .build();
        UsageSeries s = keeper.usage().series(q, granularity(granularity), zone(zone));
        UsageTotals total = UsageTotals.ZERO;
        for (UsageSeries.Point p : s.points()) {
            total = total.plus(p.totals());
        }
        return new UsageView(
                s.from(),
                s.to(),
                TotalsView.of(total),
                new SeriesView(
                        s.granularity().name().toLowerCase(Locale.ROOT),
                        s.zone().getId(),
                        s.approximate(),
                        s.points().stream()
                                .map(p -> new PointView(p.start(), TotalsView.of(p.totals())))
                                .toList()));
    }

    @GetMapping("/{tokenId}")
    UsageView tokenUsage(
            @PathVariable String tokenId,
            @RequestParam(name = "from", required = false) @Nullable String from,
            @RequestParam(name = "to", required = false) @Nullable String to,
            @RequestParam(name = "granularity", defaultValue = "day") String granularity,
            @RequestParam(name = "zone", defaultValue = "UTC") String zone,
            HttpServletRequest request) {
        // 404 for a token of another tenant or user (or none), rather than an empty answer
        access.token(Caller.of(request), tokenId, request);
        return usage(from, to, granularity, zone, tokenId, null, null, null, null, null, request);
    }

    /** {@code /by-project}, {@code /by-provider}, {@code /by-model}, {@code /by-user}, {@code /by-token}. */
    @GetMapping("/by-{dimension}")
    BreakdownView breakdown(
            @PathVariable String dimension,
            @RequestParam(name = "from", required = false) @Nullable String from,
            @RequestParam(name = "to", required = false) @Nullable String to,
            @RequestParam(name = "limit", defaultValue = "20") int limit,
            @RequestParam(name = "status", required = false) @Nullable String status,
            HttpServletRequest request) {
        UsageDimension d;
        try {
            d = UsageDimension.valueOf(dimension.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw TokenController.badRequest("dimension", "must be one of project, provider, model, user, token");
        }
        UsageBreakdown b = keeper.usage()
                .breakdown(
                        query(request, from, to, null)
                                .outcome(TraceController.outcome(status))
                                .build(),
                        d,
                        limit);
        return new BreakdownView(
                d.name().toLowerCase(Locale.ROOT),
                b.from(),
                b.to(),
                b.rows().stream()
                        .map(r -> new RowView(r.key(), TotalsView.of(r.totals())))
                        .toList());
    }

    /** The caller's tenant over the range; a user's own usage only. */
    private UsageQuery.Builder query(
            HttpServletRequest request, @Nullable String from, @Nullable String to, @Nullable String userId) {
        Caller caller = Caller.of(request);
        Instant end = Params.instant("to", to, keeper.clock().instant());
        Instant start = Params.instant("from", from, end.minus(Duration.ofDays(30)));
        return UsageQuery.builder(caller.tenantId(), start, end).user(access.ownUser(caller, userId));
    }

    private static Granularity granularity(String value) {
        try {
            return Granularity.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw TokenController.badRequest("granularity", "must be one of hour, day, week, month");
        }
    }

    private static ZoneId zone(String value) {
        try {
            return ZoneId.of(value);
        } catch (DateTimeException e) {
            throw TokenController.badRequest("zone", "must be a time zone id such as Europe/Paris or UTC");
        }
    }
}
