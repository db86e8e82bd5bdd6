package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitWindow;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Shared budgets, leased: each budget's units from this instance's lease on its window ({@link Leases}). */
final class LeasedBudgets implements BudgetStrategy {
    private final Leases leases;

    LeasedBudgets(Leases leases) {
        this.leases = leases;
    }

    Leases leases() {
        return leases;
    }

    @Override
    public int reserve(
            List<Limit> limits,
            long[] units,
            Instant at,
            Ids.Deferred permitKey,
            long expiresAt,
            List<Hold> into,
            @Nullable Object @Nullable [] hints) {
        for (int i = 0; i < limits.size(); i++) {
            Limit l = limits.get(i);
            if (l.period().rolling()) {
                continue;
            }
            LimitWindow w = l.windowAt(at);
            Leases.Lease lease = leases.take(l, w, units[i]);
            if (lease == null) {
                return i;
            }
            into.add(new Hold.Leased(l, w, lease, units[i], lease.claimedAtGrowth()));
        }
        return -1;
    }
}
