package dev.tokenkeeper.internal.storage;

import java.util.function.Function;

/**
 * A long-lived write session for one thread (the ledger's writer): it keeps one connection and the
 * statements prepared on it across transactions, instead of taking a pooled connection and preparing
 * anew for every batch. After a failed transaction the connection is dropped and a fresh one is taken
 * on the next call, so a restarted database or a broken connection heals by itself.
 */
public interface WriterSession extends AutoCloseable {
    /** Runs {@code work} in one read-write transaction on the session's connection. */
    <T> T write(Function<StorageTx, T> work);

    /**
     * The session's owner has nothing more to write for now: background upkeep of the database that
     * was held back while it wrote (SQLite's checkpoint) may run, here on the calling thread or on the
     * storage's own. Called by the ledger's writer when it finds its queue empty.
     */
    default void idle() {}

    /** Releases the connection and its statements. */
    @Override
    void close();
}
