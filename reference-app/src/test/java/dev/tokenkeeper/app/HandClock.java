package dev.tokenkeeper.app;

import dev.tokenkeeper.spring.TokenKeeperAutoConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * A clock that stands still until a test moves it: the keeper's, and so the app's, time. (Core's
 * test jar has the same clock, but it would also bring core's logging set-up into the app's tests,
 * which read the app's real log.)
 */
final class HandClock extends Clock {
    private final AtomicLong millis =
            new AtomicLong(Instant.parse("2026-12-01T09:00:00Z").toEpochMilli());

    void advance(Duration d) {
        millis.addAndGet(d.toMillis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    /** Imported by a test class to run the app on a {@link HandClock} (a context of its own). */
    @TestConfiguration(proxyBeanMethods = false)
    static class Config {
        @Bean(TokenKeeperAutoConfiguration.CLOCK_BEAN)
        HandClock tokenKeeperClock() {
            return new HandClock();
        }
    }
}
