package dev.tokenkeeper.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("limit windows")
class LimitPeriodTest {
    static final ZoneId PARIS = ZoneId.of("Europe/Paris");
    static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");

    static Instant t(String s) {
        return Instant.parse(s);
    }

    @Test
    @DisplayName("calendar windows in UTC: hour, day, week from Monday, month, and one window for TOTAL")
    void utc() {
        Instant at = t("2026-11-18T13:45:10Z"); // a Wednesday
        assertThat(LimitPeriod.HOUR.windowOf(at, ZoneOffset.UTC))
                .isEqualTo(new LimitWindow(t("2026-11-18T13:00:00Z"), t("2026-11-18T14:00:00Z")));
        assertThat(LimitPeriod.DAY.windowOf(at, ZoneOffset.UTC))
                .isEqualTo(new LimitWindow(t("2026-11-18T00:00:00Z"), t("2026-11-19T00:00:00Z")));
        assertThat(LimitPeriod.WEEK.windowOf(at, ZoneOffset.UTC))
                .isEqualTo(new LimitWindow(t("2026-11-16T00:00:00Z"), t("2026-11-23T00:00:00Z")));
        assertThat(LimitPeriod.MONTH.windowOf(at, ZoneOffset.UTC))
                .isEqualTo(new LimitWindow(t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z")));
        assertThat(LimitPeriod.TOTAL.windowOf(at, ZoneOffset.UTC)).isEqualTo(new LimitWindow(Instant.EPOCH, null));
        assertThat(LimitPeriod.TOTAL.windowOf(at, ZoneOffset.UTC).contains(t("2100-01-01T00:00:00Z")))
                .isTrue();
    }

    @Test
    @DisplayName("a window's end is the next window's start, and an instant belongs to exactly one window")
    void contiguous() {
        for (LimitPeriod p :
                new LimitPeriod[] {LimitPeriod.HOUR, LimitPeriod.DAY, LimitPeriod.WEEK, LimitPeriod.MONTH}) {
            Instant at = t("2026-10-20T00:00:00Z");
            for (int i = 0; i < 60; i++) {
                LimitWindow w = p.windowOf(at, PARIS);
                assertThat(w.contains(at)).isTrue();
                assertThat(w.contains(w.end())).isFalse();
                assertThat(p.windowOf(w.end(), PARIS).start()).isEqualTo(w.end());
                assertThat(p.windowOf(w.end().minusMillis(1), PARIS)).isEqualTo(w);
                at = w.end().plus(Duration.ofMinutes(7));
            }
        }
    }

    @Test
    @DisplayName("days follow the zone's calendar across daylight-saving changes: 25 and 23 hours")
    void daylightSaving() {
        // Paris leaves summer time on 25 October 2026 (03:00 -> 02:00) and enters it on 29 March 2026
        LimitWindow autumn = LimitPeriod.DAY.windowOf(t("2026-10-25T12:00:00Z"), PARIS);
        assertThat(autumn.start()).isEqualTo(t("2026-10-24T22:00:00Z"));
        assertThat(Duration.between(autumn.start(), autumn.end())).isEqualTo(Duration.ofHours(25));
        LimitWindow spring = LimitPeriod.DAY.windowOf(t("2026-03-29T12:00:00Z"), PARIS);
        assertThat(Duration.between(spring.start(), spring.end())).isEqualTo(Duration.ofHours(23));
        // the repeated local hour 02:00-03:00 on 25 October is two windows of one real hour each
        LimitWindow first = LimitPeriod.HOUR.windowOf(t("2026-10-25T00:30:00Z"), PARIS);
        LimitWindow second = LimitPeriod.HOUR.windowOf(t("2026-10-25T01:30:00Z"), PARIS);
        assertThat(first).isEqualTo(new LimitWindow(t("2026-10-25T00:00:00Z"), t("2026-10-25T01:00:00Z")));
        assertThat(second).isEqualTo(new LimitWindow(t("2026-10-25T01:00:00Z"), t("2026-10-25T02:00:00Z")));
        // a month in Paris starts at local midnight
        assertThat(LimitPeriod.MONTH.windowOf(t("2026-11-01T00:30:00Z"), PARIS).start())
                .isEqualTo(t("2026-10-31T23:00:00Z"));
    }

    @Test
    @DisplayName("hours in a zone with a half-hour offset start at half past in UTC")
    void halfHourZone() {
        assertThat(LimitPeriod.HOUR.windowOf(t("2026-11-18T10:10:00Z"), KOLKATA))
                .isEqualTo(new LimitWindow(t("2026-11-18T09:30:00Z"), t("2026-11-18T10:30:00Z")));
        assertThat(LimitPeriod.DAY.windowOf(t("2026-11-18T20:00:00Z"), KOLKATA).start())
                .isEqualTo(t("2026-11-18T18:30:00Z"));
    }
}
