package dev.tokenkeeper.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.MutableClock;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.internal.util.Ticker;
import dev.tokenkeeper.testing.CapturedLog;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaintenanceTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-02T10:15:30Z"));

    @TempDir
    Path dir;

    @Test
    @DisplayName("by hand, each job runs when its period has passed on the clock, in registration order")
    void manualJobsFollowTheClock() {
        List<String> ran = new ArrayList<>();
        Maintenance m = new Maintenance(Executors.defaultThreadFactory(), Ticker.of(clock), true);
        m.every("fast", Maintenance.Lane.MAINTENANCE, Duration.ofSeconds(1), () -> ran.add("fast"));
        m.every("feed", Maintenance.Lane.TOKEN_FEED, Duration.ofSeconds(5), () -> ran.add("feed"));
        m.start();
        assertThat(m.runDue()).isEmpty();
        clock.advance(Duration.ofMillis(999));
        assertThat(m.runDue()).isEmpty();
        clock.advance(Duration.ofMillis(1));
        assertThat(m.runDue()).containsExactly("fast");
        clock.advance(Duration.ofSeconds(4));
        assertThat(m.runDue()).containsExactly("fast", "feed");
        assertThat(m.runDue()).isEmpty();
        assertThat(ran).containsExactly("fast", "fast", "feed");
        assertThat(m.cadences())
                .containsExactly(
                        java.util.Map.entry("fast", Duration.ofSeconds(1)),
                        java.util.Map.entry("feed", Duration.ofSeconds(5)));
        m.close();
        clock.advance(Duration.ofMinutes(1));
        assertThat(m.runDue()).as("nothing runs after close").isEmpty();
    }

    @Test
    @DisplayName("a failing job is logged and retried at its next period; the others still run")
    void failingJobIsRetried() {
        Maintenance m = new Maintenance(Executors.defaultThreadFactory(), Ticker.of(clock), true);
        int[] calls = new int[2];
        m.every("broken", Maintenance.Lane.MAINTENANCE, Duration.ofSeconds(1), () -> {
            calls[0]++;
            throw new IllegalStateException("database is down (test)");
        });
        m.every("fine", Maintenance.Lane.MAINTENANCE, Duration.ofSeconds(1), () -> calls[1]++);
        m.start();
        clock.advance(Duration.ofSeconds(1));
        assertThat(m.runDue()).containsExactly("broken", "fine");
        clock.advance(Duration.ofSeconds(1));
        m.runDue();
        assertThat(CapturedLog.lines("WARN"))
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("broken failed; will retry"));
        assertThat(calls).containsExactly(2, 2);
    }

    @Test
    @DisplayName(
            "a keeper lists its jobs, runs them by hand when built so, and refuses to when its own threads run them")
    void keeperMaintenance() {
        try (TokenKeeper manual = TokenKeeper.builder()
                .sqliteFile(dir.resolve("m.db"))
                .clock(clock)
                .shutdownHook(false)
                .backgroundMaintenance(false)
                .build()) {
            assertThat(manual.maintenanceCadences())
                    .containsKeys(
                            "token sync",
                            "limit sync",
                            "last-used flush",
                            "aggregated audit",
                            "price sync",
                            "permit expiry",
                            "ended budget windows");
            clock.advance(Duration.ofSeconds(1));
            assertThat(manual.runDueMaintenance())
                    .contains("token sync", "permit expiry")
                    .doesNotContain("price sync");
        }
        try (TokenKeeper threads = TokenKeeper.builder()
                .sqliteFile(dir.resolve("t.db"))
                .shutdownHook(false)
                .build()) {
            assertThatThrownBy(threads::runDueMaintenance)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("backgroundMaintenance(false)");
        }
    }
}
