package dev.tokenkeeper.internal.util;

import java.time.Clock;
import java.time.Duration;

/**
 * How far back a change feed's next read must look, and whether its reads lapsed for so long that
 * changes may have been missed. A feed row carries the writing instance's clock, and a transaction
 * may commit a little after its time, so each read looks back {@code clockSkewMargin} plus two sync
 * intervals before the previous read began; it thus returns a change on several reads, and the
 * reader must be idempotent. Shared by the token and the limits change feeds.
 */
public final class FeedWindow {
    private final Clock clock;
    private final Ticker ticker;
    private final long marginMillis;
    private final long marginNanos;
    private volatile long lastStartMillis;
    private volatile long lastOkNanos;
    private volatile long lastOkMillis;

    public FeedWindow(Clock clock, Duration clockSkewMargin, Duration syncInterval) {
        this.clock = clock;
        this.marginMillis = clockSkewMargin.plus(syncInterval.multipliedBy(2)).toMillis();
        this.marginNanos = Duration.ofMillis(marginMillis).toNanos();
        this.ticker = Ticker.of(clock);
        this.lastStartMillis = clock.millis();
        this.lastOkNanos = ticker.read();
        this.lastOkMillis = clock.millis();
    }

    /** Now, on the ticker that goes with the clock: what {@link #lapsed} and {@link #completed} take. */
    public long nowNanos() {
        return ticker.read();
    }

    /** A read of the feed: when it began (on the clock), and from when it must read the rows. */
    public record Read(long startMillis, long since) {}

    /** Begins a read. */
    public Read begin() {
        return new Read(clock.millis(), lastStartMillis - marginMillis);
    }

    /**
     * Whether the last successful read was longer than the margin before {@code nowNanos}: rows may
     * have been missed, so whatever the feed keeps current must be dropped.
     */
    public boolean lapsed(long nowNanos) {
        return nowNanos - lastOkNanos > marginNanos;
    }

    /** The read succeeded, and its changes were applied, at {@code nowNanos}. */
    public void completed(Read read, long nowNanos) {
        lastStartMillis = read.startMillis();
        lastOkNanos = nowNanos;
        lastOkMillis = clock.millis();
    }

    /**
     * The clock's millis at the end of the last successful read: for a hot path that has read the
     * clock already and compares with its reading rather than read the ticker too.
     */
    public long lastOkMillis() {
        return lastOkMillis;
    }

    /** How far back each read looks beyond the previous one's start. */
    public long marginMillis() {
        return marginMillis;
    }
}
