package dev.tokenkeeper.usage;

/** What {@code record} does when the ledger's queue is full. Either way, nothing is dropped silently. */
public enum LedgerOverflowPolicy {
    /** Wait for room, up to the configured timeout, then throw {@link LedgerFullException}. The default. */
    BLOCK,
    /** Throw {@link LedgerFullException} at once. */
    REJECT
}
