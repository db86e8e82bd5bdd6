package dev.tokenkeeper.admission;

import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.usage.RecordedUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Leave to make one call, holding its reservations on every budget that applies. Settle it exactly
 * once: {@link #complete} records the real usage (which may be more than the estimate) and gives
 * back the reservations; {@link #release} gives them back for a call that never happened. A permit
 * left unsettled releases itself at {@link #expiresAt()}, so a crashed caller cannot leak budget.
 * Thread-safe.
 */
public non-sealed interface Permit extends Admission {
    @Override
    default boolean allowed() {
        return true;
    }

    /** The call's request id: the idempotency key of its usage event. */
    String requestId();

    /** Who is calling. */
    Principal principal();

    /** When the call was authorized: the time its usage is recorded at. */
    Instant startedAt();

    /** When the reservations are released if the permit is not settled by then. */
    Instant expiresAt();

    /**
     * Whether the call was checked against its limits: false only when the database did not answer
     * and the {@link StorageFailurePolicy} is {@code FAIL_OPEN}.
     */
    boolean limitsChecked();

    /** The limits this call goes into the grace allowance of; empty in the normal case. */
    List<BudgetWarning> warnings();

    /**
     * The rolling-minute rate limits this call was counted against, each with what it has left
     * after this call; empty when none applies. Computed when asked, from what the admission
     * already holds: no read of any backend.
     */
    default List<RateLimitState> rateLimits() {
        return List.of();
    }

    /**
     * Records the call's real usage in the ledger (counted against every limit that applies) and
     * releases the reservations. A permit that expired meanwhile still records its usage.
     *
     * @throws IllegalStateException if the permit was completed or released already
     */
    RecordedUsage complete(Completion completion);

    /** {@link #complete(Completion)} for a successful call with provider-reported counts. */
    default RecordedUsage complete(TokenCounts counts, Duration latency) {
        return complete(Completion.success(counts, latency));
    }

    /** Releases the reservations of a call that was not made; does nothing when already settled. */
    void release();
}
