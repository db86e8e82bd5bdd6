package dev.tokenkeeper.internal.util;

import java.time.Clock;

/**
 * Elapsed time for decisions that a test must be able to drive: how long ago a change feed was last
 * read (offline grace), when to warn again, when to reconnect. On the system clock it is
 * {@link System#nanoTime()}, which never jumps; on any other clock (a test's, an application's) it
 * follows that clock's millis, so that advancing the clock advances it.
 */
@FunctionalInterface
public interface Ticker {
    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long read();

    /** {@link System#nanoTime()}: the ticker of the system clock. */
    Ticker SYSTEM = System::nanoTime;

    /** The ticker that goes with {@code clock}. */
    static Ticker of(Clock clock) {
        if (clock.equals(Clock.system(clock.getZone()))) { // the system clock, in whatever zone
            return SYSTEM;
        }
        return () -> Math.multiplyExact(clock.millis(), 1_000_000L);
    }

    /**
     * This ticker for a Caffeine cache: Caffeine's own system ticker when this is {@link #SYSTEM}, so that a
     * cache read on the hot path calls {@code System.nanoTime()} directly rather than through this interface.
     */
    default com.github.benmanes.caffeine.cache.Ticker forCaffeine() {
        return this == SYSTEM ? com.github.benmanes.caffeine.cache.Ticker.systemTicker() : this::read;
    }
}
