package dev.tokenkeeper.internal.util;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

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
        return new UUID(msb(stamp >>> 12, stamp), lsb(ThreadLocalRandom.current())).toString();
    }

    /**
     * A UUID version 7 for the instant {@code millis} whose 74 bits after the time are all random
     * (RFC 9562, section 5.7, without the counter): ordered by the millisecond only, and made without
     * the shared counter, which threads making ids at once would take turns on. For ids that need
     * uniqueness and rough time order but not strict order, such as a permit's.
     */
    public static String uuid7Unordered(long millis) {
        return uuid7UnorderedDeferred(millis).toString();
    }

    /**
     * {@link #uuid7Unordered} as its two longs, made into text when first asked for ({@link
     * Deferred#toString()}): a permit's id, which most callers never read, is written out by the
     * ledger's writer rather than on the calling thread.
     */
    public static Deferred uuid7UnorderedDeferred(long millis) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new Deferred(msb(millis, random.nextInt()), lsb(random));
    }

    /** A UUID whose canonical text is made once, when first asked for. */
    public static final class Deferred {
        private final long msb;
        private final long lsb;
        // made at most once per thread that races for it: a String is immutable, so a racing reader
        // sees either null (and makes an equal one) or a whole String
        private @Nullable String text;

        private Deferred(long msb, long lsb) {
            this.msb = msb;
            this.lsb = lsb;
        }

        /** The UUID's canonical text (lower case, with hyphens). */
        @Override
        public String toString() {
            String t = text;
            if (t == null) {
                t = new UUID(msb, lsb).toString();
                text = t;
            }
            return t;
        }
    }

    /** A UUID version 7's high half: 48 bits of {@code millis}, the version, the low 12 bits of {@code randA}. */
    private static long msb(long millis, long randA) {
        return (millis << 16) | 0x7000L | (randA & 0x0FFFL);
    }

    /** A UUID version 7's low half: the variant and 62 random bits. */
    private static long lsb(ThreadLocalRandom random) {
        return (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    }
}
