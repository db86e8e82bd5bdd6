package dev.tokenkeeper.internal.util;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time-ordered ids: UUID version 7 (RFC 9562, section 5.7) with 48 bits of Unix milliseconds, a
 * 12-bit counter in {@code rand_a} (section 6.2, method 1) so that ids made in one JVM are strictly
 * increasing even within a millisecond, and 62 random bits. Inserts stay in time order, which keeps
 * B-tree appends cheap. Ids are not secrets.
 */
public final class Ids {
    /** The last (millis << 12 | counter) handed out. */
    private static final AtomicLong LAST = new AtomicLong();

    private Ids() {}

    public static String uuid7(Clock clock) {
        return uuid7(clock.millis());
    }

    /** An id for the instant {@code millis} (Unix milliseconds), read from the clock by the caller. */
    public static String uuid7(long millis) {
        long candidate = millis << 12;
        long last;
        long stamp;
        do { // a loop rather than updateAndGet: no lambda object per id
            last = LAST.get();
            stamp = Math.max(candidate, last + 1);
        } while (!LAST.compareAndSet(last, stamp));
        return format(stamp >>> 12, stamp, ThreadLocalRandom.current());
    }

    /**
     * A UUID version 7 for the instant {@code millis} whose 74 bits after the time are all random
     * (RFC 9562, section 5.7, without the counter): ordered by the millisecond only, and made without
     * the shared counter, which threads making ids at once would take turns on. For ids that need
     * uniqueness and rough time order but not strict order, such as a permit's.
     */
    public static String uuid7Unordered(long millis) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return format(millis, random.nextInt(), random);
    }

    /**
     * The text of a UUID version 7: 48 bits of {@code millis}, the version, the low 12 bits of
     * {@code randA}, the variant and 62 random bits.
     */
    private static String format(long millis, long randA, ThreadLocalRandom random) {
        long msb = (millis << 16) | 0x7000L | (randA & 0x0FFFL);
        long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb).toString();
    }
}
