package dev.tokenkeeper.internal.usage;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.UsageStore;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.usage.Granularity;
import dev.tokenkeeper.usage.UsageBreakdown;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageSeries;
import dev.tokenkeeper.usage.UsageTotals;
import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/** Usage analytics: totals, series and breakdowns, read from the hourly and daily roll-ups. */
final class UsageQueries {
    private final Storage storage;

    UsageQueries(Storage storage) {
        this.storage = storage;
    }

    UsageTotals totals(UsageQuery query) {
        UsageTotals sum = UsageTotals.ZERO;
        for (UsageStore.Keyed<Long> hour : storage.read(tx -> storage.usage().totalsByHour(tx, query))) {
            sum = sum.plus(hour.totals());
        }
        return sum;
    }

    UsageSeries series(UsageQuery query, Granularity granularity, ZoneId zone) {
        requireNonNull(granularity, "granularity");
        requireNonNull(zone, "zone");
        Instant from = query.hourFrom();
        Instant to = query.hourTo();
        TreeMap<Instant, UsageTotals> buckets = new TreeMap<>();
        for (Instant b = bucketStart(from, granularity, zone); b.isBefore(to); b = nextBucket(b, granularity, zone)) {
            buckets.put(b, UsageTotals.ZERO);
        }
        for (UsageStore.Keyed<Long> hour : storage.read(tx -> storage.usage().totalsByHour(tx, query))) {
            Instant b = bucketStart(Instant.ofEpochMilli(hour.key()), granularity, zone);
            buckets.merge(b, hour.totals(), UsageTotals::plus);
        }
        List<UsageSeries.Point> points = new ArrayList<>(buckets.size());
        buckets.forEach((start, totals) -> points.add(new UsageSeries.Point(start, totals)));
        return new UsageSeries(zone, granularity, from, to, !wholeHourOffsets(zone, from, to), points);
    }

    UsageBreakdown breakdown(UsageQuery query, UsageDimension dimension, int limit) {
        requireNonNull(dimension, "dimension");
        Checks.pageLimit("limit", limit);
        List<UsageBreakdown.Row> rows = new ArrayList<>();
        for (UsageStore.Keyed<String> g : storage.read(tx -> storage.usage().totalsBy(tx, query, dimension, limit))) {
            rows.add(new UsageBreakdown.Row(g.key(), g.totals()));
        }
        return new UsageBreakdown(dimension, query.hourFrom(), query.hourTo(), rows);
    }

    /** Series buckets are the calendar windows that limits count in: one definition of hour, day, week, month. */
    private static LimitPeriod period(Granularity g) {
        return switch (g) {
            case HOUR -> LimitPeriod.HOUR;
            case DAY -> LimitPeriod.DAY;
            case WEEK -> LimitPeriod.WEEK;
            case MONTH -> LimitPeriod.MONTH;
        };
    }

    static Instant bucketStart(Instant t, Granularity g, ZoneId zone) {
        return period(g).windowOf(t, zone).start();
    }

    static Instant nextBucket(Instant start, Granularity g, ZoneId zone) {
        return requireNonNull(period(g).windowOf(start, zone).end());
    }

    /** Whether the zone's offset is a whole number of hours throughout [from, to). */
    static boolean wholeHourOffsets(ZoneId zone, Instant from, Instant to) {
        ZoneRules rules = zone.getRules();
        if (rules.getOffset(from).getTotalSeconds() % 3600 != 0) {
            return false;
        }
        for (ZoneOffsetTransition t = rules.nextTransition(from);
                t != null && t.getInstant().isBefore(to);
                t = rules.nextTransition(t.getInstant())) {
            if (t.getOffsetAfter().getTotalSeconds() % 3600 != 0) {
                return false;
            }
        }
        return true;
    }
}
