package dev.tokenkeeper.usage;

import java.time.Duration;

/**
 * Counters of the ledger since this instance started. Cheap to read: a few counters, no walk over
 * the queue.
 *
 * <p>What a crash of the process ({@code SIGKILL}, power loss) can lose is {@link #unwritten()}: the
 * events queued and the batch being committed. They arrived within the last {@link #lag()}; with
 * {@code ledgerMaxLag} set, {@code record} refuses (or waits, under {@code BLOCK}) rather than let
 * the lag grow past it.
 *
 * @param queued events waiting for the writer now
 * @param writing events in the batch being committed now
 * @param written events committed
 * @param duplicates events recognised as already recorded and skipped
 * @param refused events refused because the queue was full or the ledger too far behind
 * @param dropped events the database refused to store while it answered (each logged)
 * @param failedBatches batch commits that failed and were retried
 * @param lag how long the oldest event not yet committed has waited; zero when every accepted event
 *     is committed
 * @param refusalsNotTraced refused calls not written as traces: over the per-token bound
 *     ({@code refusalTracesPerMinute}), or the queue was full
 */
public record LedgerStats(
        long queued,
        long writing,
        long written,
        long duplicates,
        long refused,
        long dropped,
        long failedBatches,
        Duration lag,
        long refusalsNotTraced) {
    /** Events accepted and not yet durable: what a crash now would lose. */
    public long unwritten() {
        return queued + writing;
    }
}
