package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageTotals;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The usage ledger: raw events (which are also the traces) and their hourly roll-ups. */
public interface UsageStore {
    /**
     * Inserts the events, skipping those whose id exists already; returns, per event in order,
     * whether it was inserted.
     */
    boolean[] insertEvents(StorageTx tx, List<UsageRow> rows);

    /** Adds the increments to the hourly roll-ups, creating missing rows. */
    void addToRollups(StorageTx tx, Collection<HourlyRollup> increments);

    /** Sums of the roll-ups matching {@code q}, one per UTC hour that has any, by hour. */
    List<Keyed<Long>> totalsByHour(StorageTx tx, UsageQuery q);

    /** Sums of the roll-ups matching {@code q} grouped by {@code dimension}, costliest first. */
    List<Keyed<String>> totalsBy(StorageTx tx, UsageQuery q, UsageDimension dimension, int limit);

    /** Traces (raw events) of {@code q}, newest first, strictly before the id when given. */
    List<UsageRow> traces(StorageTx tx, TraceQuery q, @Nullable String beforeId, int limit);

    /** One trace of the tenant. */
    Optional<UsageRow> trace(StorageTx tx, String tenantId, String id);

    /** Deletes at most {@code limit} of the tenant's events older than {@code cutoff}; returns how many. */
    int purgeBefore(StorageTx tx, String tenantId, long cutoff, int limit);

    /** Sums under a key. */
    record Keyed<K>(K key, UsageTotals totals) {}
}
