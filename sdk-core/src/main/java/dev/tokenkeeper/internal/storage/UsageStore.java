package dev.tokenkeeper.internal.storage;

import java.util.Collection;
import java.util.List;

/** The usage ledger: raw events (which are also the traces) and their hourly roll-ups. */
public interface UsageStore {
    /**
     * Inserts the events, skipping those whose id exists already; returns, per event in order,
     * whether it was inserted.
     */
    boolean[] insertEvents(StorageTx tx, List<UsageRow> rows);

    /** Adds the increments to the hourly roll-ups, creating missing rows. */
    void addToRollups(StorageTx tx, Collection<HourlyRollup> increments);
}
