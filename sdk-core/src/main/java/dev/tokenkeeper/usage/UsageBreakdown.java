package dev.tokenkeeper.usage;

import java.time.Instant;
import java.util.List;

/**
 * Usage grouped by one dimension, costliest first.
 *
 * @param dimension what it is grouped by
 * @param from the first hour covered
 * @param to the end of the last hour covered (exclusive)
 * @param rows at most the requested number of groups
 */
public record UsageBreakdown(UsageDimension dimension, Instant from, Instant to, List<Row> rows) {
    public UsageBreakdown {
        rows = List.copyOf(rows);
    }

    /**
     * One group.
     *
     * @param key the dimension's value; empty when the calls had none (for example no project)
     * @param totals its sums
     */
    public record Row(String key, UsageTotals totals) {}
}
