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

    /** The ticker that goes with {@code clock}. */
    static Ticker of(Clock clock) {
        if (clock.equals(Clock.system(clock.getZone()))) { // the system clock, in whatever zone
            return System::nanoTime;
        }
        return () -> Math.multiplyExact(clock.millis(), 1_000_000L);
    }
}
