package dev.tokenkeeper.limits;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.pricing.Money;
import java.time.ZoneId;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What to create: the command for {@link LimitService#create(LimitSpec)}. The builder checks every
 * field and names the one that is wrong.
 *
 * <pre>{@code
 * keeper.limits().create(LimitSpec.builder("acme")
 *         .name("search: $200 a month").project("search")
 *         .costUsd(Money.of("200")).graceUsd(Money.of("10"))
 *         .period(LimitPeriod.MONTH).zone(ZoneId.of("Europe/Paris"))
 *         .build());
 * }</pre>
 */
public record LimitSpec(
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
        Actor actor) {

    /** Thresholds announced when none are given: 50, 80 and 100 % of the amount. */
    public static final List<Integer> DEFAULT_THRESHOLDS = List.of(50, 80, 100);

    public LimitSpec {
        Checks.tenantId("tenant", tenantId);
        name = Checks.name("name", name);
        requireNonNull(scope, "scope");
        if (scope == LimitScope.TENANT) {
            if (scopeId != null) {
                throw new InvalidRequestException("scopeId", "a tenant-wide limit has no scope id");
            }
        } else {
            Checks.identifier("scopeId", scopeId);
        }
        if (provider != null) {
            Checks.provider("provider", provider);
        }
        if (model != null) {
            Checks.models("model", java.util.Set.of(model));
        }
        requireNonNull(metric, "metric");
        requireNonNull(period, "period");
        requireNonNull(zone, "zone");
        LimitRules.amounts(amount, grace);
        dev.tokenkeeper.internal.limits.RateUnits.checkFits(metric, period, amount, grace);
        alertThresholds = LimitRules.thresholds(alertThresholds);
        requireNonNull(actor, "actor");
    }

    public static Builder builder(String tenantId) {
        return new Builder(tenantId);
    }

    /** Builder for {@link LimitSpec}. Not thread-safe. */
    public static final class Builder {
        private final String tenantId;
        private @Nullable String name;
        private LimitScope scope = LimitScope.TENANT;
        private @Nullable String scopeId;
        private @Nullable String provider;
        private @Nullable String model;
        private @Nullable LimitMetric metric;
        private LimitPeriod period = LimitPeriod.MONTH;
        private ZoneId zone = ZoneId.of("UTC");
        private long amount;
        private long grace;
        private List<Integer> thresholds = DEFAULT_THRESHOLDS;
        private Actor actor = Actor.SYSTEM;

        private Builder(String tenantId) {
            this.tenantId = tenantId;
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Counts every call of the tenant (the default). */
        public Builder tenantWide() {
            return scope(LimitScope.TENANT, null);
        }

        public Builder user(String userId) {
            return scope(LimitScope.USER, userId);
        }

        public Builder project(String projectId) {
            return scope(LimitScope.PROJECT, projectId);
        }

        public Builder token(String tokenId) {
            return scope(LimitScope.TOKEN, tokenId);
        }

        /** Counts the calls of one agent run or session (see {@link LimitScope#RUN}). */
        public Builder run(String runId) {
            return scope(LimitScope.RUN, runId);
        }

        public Builder scope(LimitScope scope, @Nullable String scopeId) {
            this.scope = requireNonNull(scope, "scope");
            this.scopeId = scopeId;
            return this;
        }

        /** Only calls to this provider count. */
        public Builder provider(@Nullable String provider) {
            this.provider = provider;
            return this;
        }

        /** Only calls to this model, or to models matching a {@code prefix*} pattern, count. */
        public Builder model(@Nullable String model) {
            this.model = model;
            return this;
        }

        /** At most {@code tokens} tokens per window. */
        public Builder tokens(long tokens) {
            return amount(LimitMetric.TOKENS, tokens);
        }

        /** At most {@code requests} calls per window. */
        public Builder requests(long requests) {
            return amount(LimitMetric.REQUESTS, requests);
        }

        /** At most {@code usd} dollars per window. */
        public Builder costUsd(Money usd) {
            return amount(LimitMetric.COST_USD, LimitRules.picos("amount", requireNonNull(usd, "costUsd")));
        }

        /** The amount in the metric's unit (tokens, requests or picodollars). */
        public Builder amount(LimitMetric metric, long amount) {
            this.metric = requireNonNull(metric, "metric");
            this.amount = amount;
            return this;
        }

        /** Grace in the metric's unit: how far beyond the amount a call may still go, with a warning. */
        public Builder grace(long grace) {
            this.grace = grace;
            return this;
        }

        /** Grace of a {@link LimitMetric#COST_USD} limit, in dollars. */
        public Builder graceUsd(Money usd) {
            return grace(LimitRules.picos("grace", requireNonNull(usd, "graceUsd")));
        }

        public Builder period(LimitPeriod period) {
            this.period = period;
            return this;
        }

        /** The time zone of the calendar windows. Default UTC. */
        public Builder zone(ZoneId zone) {
            this.zone = zone;
            return this;
        }

        /** Percentages of the amount whose crossing is announced. Default 50, 80, 100. */
        public Builder alertThresholds(List<Integer> percentages) {
            this.thresholds = requireNonNull(percentages, "alertThresholds");
            return this;
        }

        public Builder actor(Actor actor) {
            this.actor = actor;
            return this;
        }

        public LimitSpec build() {
            if (metric == null) {
                throw new InvalidRequestException("amount", "is required: tokens(..), requests(..) or costUsd(..)");
            }
            return new LimitSpec(
                    tenantId,
                    Checks.required("name", name),
                    scope,
                    scopeId,
                    provider,
                    model,
                    metric,
                    period,
                    zone,
                    amount,
                    grace,
                    thresholds,
                    actor);
        }
    }
}
