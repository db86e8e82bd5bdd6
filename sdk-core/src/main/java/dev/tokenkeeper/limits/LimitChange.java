package dev.tokenkeeper.limits;

import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.pricing.Money;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A change to a limit: each field left {@code null} stays as it is. What a limit counts (scope,
 * filters, metric, period, zone) does not change: create another limit for that. Usage counted in
 * the current window is kept, so lowering the amount below it stops further calls at once.
 *
 * @param name a new display name
 * @param amount a new amount, in the metric's unit
 * @param grace a new grace, in the metric's unit
 * @param alertThresholds new thresholds, in percent of the amount
 */
public record LimitChange(
        @Nullable String name,
        @Nullable Long amount,
        @Nullable Long grace,
        @Nullable List<Integer> alertThresholds) {

    public LimitChange {
        if (name != null) {
            name = Checks.name("name", name);
        }
        if (alertThresholds != null) {
            alertThresholds = LimitRules.thresholds(alertThresholds);
        }
        if (amount != null || grace != null) {
            LimitRules.amounts(amount == null ? 1 : amount, grace == null ? 0 : grace);
        }
    }

    public static LimitChange amount(long amount) {
        return new LimitChange(null, amount, null, null);
    }

    public static LimitChange amountUsd(Money usd) {
        return amount(LimitRules.picos("amount", usd));
    }

    public LimitChange withGrace(long newGrace) {
        return new LimitChange(name, amount, newGrace, alertThresholds);
    }

    public LimitChange withName(String newName) {
        return new LimitChange(newName, amount, grace, alertThresholds);
    }

    public LimitChange withAlertThresholds(List<Integer> percentages) {
        return new LimitChange(name, amount, grace, percentages);
    }

    /** No change at all: the starting point of a builder-style chain. */
    public static LimitChange none() {
        return new LimitChange(null, null, null, null);
    }
}
