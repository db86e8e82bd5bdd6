package dev.tokenkeeper.usage;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

/**
 * A usage time series.
 *
 * @param zone the time zone of the buckets
 * @param granularity the bucket size
 * @param from the first hour covered
 * @param to the end of the last hour covered (exclusive)
 * @param approximate true when the zone's offset is not a whole number of hours within the range: the
 *     hourly roll-ups cannot then be split at local midnight, and each hour is counted in the bucket
 *     its start falls in
 * @param points one point per bucket, in order, empty buckets included
 */
public record UsageSeries(
        ZoneId zone, Granularity granularity, Instant from, Instant to, boolean approximate, List<Point> points) {
    public UsageSeries {
        points = List.copyOf(points);
    }

    /**
     * One bucket.
     *
     * @param start the bucket's start
     * @param totals the sums within it
     */
    public record Point(Instant start, UsageTotals totals) {}
}
