package dev.tokenkeeper.usage;

/**
 * Records LLM calls in the ledger. Obtain it from {@code keeper.usage()}; thread-safe.
 *
 * <p>In the default asynchronous mode, {@link #record(UsageEvent)} validates the event, computes its
 * exact cost and queues it; one writer commits queued events in batches, each batch together with
 * its hourly roll-ups in one transaction. In synchronous mode it commits before returning.
 * {@link #flush()} and {@code keeper.close()} write everything queued: a graceful shutdown loses
 * nothing.
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
}
