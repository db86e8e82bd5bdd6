package dev.tokenkeeper.usage;

/**
 * Records LLM calls in the ledger. Obtain it from {@code keeper.usage()}; thread-safe.
 *
 * <p>In the default asynchronous mode, {@link #record(UsageEvent)} validates the event, computes its
 * exact cost and queues it; one writer commits queued events in batches, each batch together with
 * its hourly roll-ups in one transaction. In synchronous mode it commits before returning.
 * {@link #flush()} and {@code keeper.close()} write everything queued: a graceful shutdown loses
 * nothing.
 *
 * <p>The read methods answer from the hourly roll-ups, never from raw events, within one tenant.
 * Events still queued are not yet counted: call {@link #flush()} first when that matters.
 */
public interface UsageService {
    /**
     * Records one call.
     *
     * @throws dev.tokenkeeper.NotFoundException with {@code TENANT_NOT_FOUND} for an unknown tenant
     * @throws dev.tokenkeeper.pricing.PriceMissingException when the model has no price and the
     *     unknown-price policy is {@code REJECT}
     * @throws LedgerFullException when the queue is full and the overflow policy does not wait
     */
    RecordedUsage record(UsageEvent event);

    /** Blocks until every event queued before this call is committed (or the writer failed on it). */
    void flush();

    LedgerStats stats();

    /** Sums over the query's range, from the hourly roll-ups. */
    UsageTotals totals(UsageQuery query);

    /** A time series over the query's range, in buckets of {@code granularity} in {@code zone}. */
    UsageSeries series(UsageQuery query, Granularity granularity, java.time.ZoneId zone);

    /** The costliest groups by {@code dimension}, at most {@code limit} (1 to 1,000). */
    UsageBreakdown breakdown(UsageQuery query, UsageDimension dimension, int limit);
}
