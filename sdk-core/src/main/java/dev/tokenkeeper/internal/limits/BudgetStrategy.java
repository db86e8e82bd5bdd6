package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.limits.Limit;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where budgets (the limits of calendar windows and totals) are reserved: on this instance's
 * counters, in the database call by call, or from this instance's leases on the database's
 * counters. One is chosen when the keeper is built.
 */
sealed interface BudgetStrategy permits LocalCounters, StoredReservations, LeasedBudgets {
    /**
     * Reserves {@code units[i]} on the window of {@code limits.get(i)} containing {@code at} for each
     * budget among {@code limits} (rolling rate limits are skipped), adding a hold per budget to
     * {@code into}. Stops at the first budget that cannot take its units and returns its index; the
     * caller then releases what was added. Returns -1 when every budget holds.
     *
     * @param permitKey the permit's key, unique per call
     * @param expiresAt when (epoch millis) a reservation left behind by a stopped instance may be released
     * @param hints {@code null}, or one slot per limit that a strategy may use to find the limit's
     *     state faster on the next call with the same list (see {@link LocalCounters#reserve})
     */
    int reserve(
            List<Limit> limits,
            long[] units,
            Instant at,
            Ids.Deferred permitKey,
            long expiresAt,
            List<Hold> into,
            @Nullable Object @Nullable [] hints);
}
