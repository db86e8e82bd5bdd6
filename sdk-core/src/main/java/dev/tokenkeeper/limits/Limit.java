package dev.tokenkeeper.limits;

import dev.tokenkeeper.pricing.Money;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A usage limit: how much of a metric the calls in a scope may use per period.
 *
 * @param id the limit's id (a time-ordered UUID)
 * @param tenantId the tenant it belongs to
 * @param name a display name
 * @param scope whose calls it counts
 * @param scopeId the user, project or token id; {@code null} for {@link LimitScope#TENANT}
 * @param provider only calls to this provider count, or {@code null} for all
 * @param model only calls to this model (or models matching this {@code prefix*} pattern) count, or
 *     {@code null} for all
 * @param metric what it counts
 * @param period the window it counts in
 * @param zone the time zone of the windows
 * @param amount how much a window may use, in the metric's unit (tokens, requests, or picodollars)
 * @param grace how much beyond {@code amount} a call may still go, with a warning, in the same unit
 * @param alertThresholds percentages of {@code amount} whose crossing is announced, ascending
 * @param createdAt when it was created
 * @param updatedAt when it last changed
 */
public record Limit(
        String id,
        String tenantId,
        String name,
        LimitScope scope,
        @Nullable String scopeId,
        @Nullable String provider,
        @Nullable String model,
        LimitMetric metric,
        LimitPeriod period,
        ZoneId zone,
        long amount,
        long grace,
        List<Integer> alertThresholds,
        Instant createdAt,
        Instant updatedAt) {

    public Limit {
        alertThresholds = List.copyOf(alertThresholds);
        zone = canonical(zone);
    }

    /** One instance per zone id, so that the window lookups of limits in one zone compare by identity. */
    private static final ConcurrentHashMap<String, ZoneId> ZONES = new ConcurrentHashMap<>();

    private static ZoneId canonical(ZoneId zone) {
        ZoneId known = ZONES.putIfAbsent(zone.getId(), zone); // bounded: the zone ids the JDK knows, and offsets
        return known != null ? known : zone;
    }

    /** The window that contains {@code at}. */
    public LimitWindow windowAt(Instant at) {
        return period.windowOf(at, zone);
    }

    /** For a {@link LimitMetric#COST_USD} limit, its amount in dollars. */
    public Money amountUsd() {
        requireCost();
        return Money.ofPicos(amount);
    }

    /** For a {@link LimitMetric#COST_USD} limit, its grace in dollars. */
    public Money graceUsd() {
        requireCost();
        return Money.ofPicos(grace);
    }

    /** The limit with its amount and grace in their unit (dollars as dollars, not picodollars). */
    @Override
    public String toString() {
        return "Limit[id=" + id + ", tenantId=" + tenantId + ", name=" + name + ", scope=" + scope
                + (scopeId == null ? "" : ", scopeId=" + scopeId) + (provider == null ? "" : ", provider=" + provider)
                + (model == null ? "" : ", model=" + model) + ", metric=" + metric + ", period=" + period + ", zone="
                + zone + ", amount=" + metric.format(amount) + ", grace=" + metric.format(grace) + ", alertThresholds="
                + alertThresholds + "]";
    }

    private void requireCost() {
        if (metric != LimitMetric.COST_USD) {
            throw new IllegalStateException("limit " + id + " counts " + metric + ", not dollars");
        }
    }

    /**
     * Whether a call to {@code provider}/{@code model} counts against this limit's filters. Model
     * names match without regard to case, as allowed models and prices do.
     */
    public boolean matches(String callProvider, String callModel) {
        if (provider != null && !provider.equals(callProvider)) {
            return false;
        }
        return model == null || dev.tokenkeeper.internal.util.ModelPatterns.matches(model, callModel);
    }
}
