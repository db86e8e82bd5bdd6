package dev.tokenkeeper.usage;

import java.time.Duration;

/**
 * Counters of the ledger since this instance started.
 *
 * @param queued events waiting for the writer now
 * @param written events committed
 * @param duplicates events recognised as already recorded and skipped
 * @param refused events refused because the queue was full
 * @param failedBatches batches whose commit failed and were retried
 * @param lag how long the oldest event not yet committed has waited; zero when every accepted event
 *     is committed
 */
public record LedgerStats(long queued, long written, long duplicates, long refused, long failedBatches,
        Duration lag) {}
