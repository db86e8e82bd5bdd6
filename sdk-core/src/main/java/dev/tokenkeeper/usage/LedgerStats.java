package dev.tokenkeeper.usage;

/**
 * Counters of the ledger since this instance started.
 *
 * @param queued events waiting for the writer now
 * @param written events committed
 * @param duplicates events recognised as already recorded and skipped
 * @param refused events refused because the queue was full
 * @param failedBatches batches whose commit failed and were retried
 */
public record LedgerStats(long queued, long written, long duplicates, long refused, long failedBatches) {}
