package dev.tokenkeeper.limits;

import static java.util.Objects.requireNonNull;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The window a limit counts in: a calendar hour, day, week (from Monday), or month in the limit's
 * time zone, or the whole lifetime of the limit. Windows follow the zone's calendar, daylight-saving
 * changes included: a day of 23 or 25 hours is one window.
 *
 * <p>{@link #ROLLING_MINUTE} is a rate limit instead: a token bucket (Bucket4j) that holds
 * amount + grace and refills the amount continuously over each minute. A call that does not fit is
 * refused with {@code RATE_LIMITED} and told how long to wait. Its usage is not stored.
 */
public enum LimitPeriod {
    HOUR,
    DAY,
    WEEK,
    MONTH,
    TOTAL,
    ROLLING_MINUTE;

    private static final LimitWindow ALL_TIME = new LimitWindow(Instant.EPOCH, null);
    /** More zones than this in use at once, and the remembered windows start over. */
    private static final int MAX_REMEMBERED_ZONES = 1_024;

    /**
     * The window computed last per zone: nearly every call falls in the current one, and computing
     * it through the zone's calendar took longer than the rest of a budget check.
     */
    @SuppressWarnings("ImmutableEnumChecker") // a cache of the last window per zone: recomputable, never compared
    private final ConcurrentHashMap<ZoneId, LimitWindow> lastWindows = new ConcurrentHashMap<>();

    /**
     * The window last computed, in front of the map: most deployments count in one zone. (Set only
     * when a window is computed, so that limits in two zones do not replace it call by call.)
     */
    private record LastWindow(ZoneId zone, LimitWindow window) {}

    @SuppressWarnings("ImmutableEnumChecker") // recomputable, as lastWindows
    private volatile @Nullable LastWindow lastWindow;

    /** Whether this is a rate limit (a rolling minute) rather than a budget over calendar windows. */
    public boolean rolling() {
        return this == ROLLING_MINUTE;
    }

    /** The window of this period that contains {@code at}, in {@code zone}. */
    public LimitWindow windowOf(Instant at, ZoneId zone) {
        requireNonNull(at, "at");
        requireNonNull(zone, "zone");
        if (this == TOTAL) {
            return ALL_TIME;
        }
        if (this == ROLLING_MINUTE) {
            return new LimitWindow(at.minusSeconds(60), at); // the minute before: what the bucket smooths over
        }
        LastWindow front = lastWindow;
        if (front != null && front.zone.equals(zone) && front.window.contains(at)) {
            return front.window;
        }
        LimitWindow last = lastWindows.get(zone);
        if (last != null && last.contains(at)) {
            return last;
        }
        LimitWindow window = calendarWindow(at, zone);
        if (lastWindows.size() >= MAX_REMEMBERED_ZONES) {
            lastWindows.clear();
        }
        lastWindows.put(zone, window);
        lastWindow = new LastWindow(zone, window);
        return window;
    }

    private LimitWindow calendarWindow(Instant at, ZoneId zone) {
        ZonedDateTime z = at.atZone(zone);
        ZonedDateTime start = switch (this) {
            case HOUR -> z.truncatedTo(ChronoUnit.HOURS);
            case DAY -> z.toLocalDate().atStartOfDay(zone);
            case WEEK ->
                z.toLocalDate()
                        .with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY))
                        .atStartOfDay(zone);
            case MONTH -> z.toLocalDate().withDayOfMonth(1).atStartOfDay(zone);
            case TOTAL, ROLLING_MINUTE -> throw new AssertionError();
        };
        ZonedDateTime end = switch (this) {
            // an hour is 60 minutes of real time, also across an offset change
            case HOUR -> start.plusHours(1);
            case DAY -> start.toLocalDate().plusDays(1).atStartOfDay(zone);
            case WEEK -> start.toLocalDate().plusWeeks(1).atStartOfDay(zone);
            case MONTH -> start.toLocalDate().plusMonths(1).atStartOfDay(zone);
            case TOTAL, ROLLING_MINUTE -> throw new AssertionError();
        };
        return new LimitWindow(start.toInstant(), end.toInstant());
    }
}
