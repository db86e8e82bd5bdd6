package dev.tokenkeeper.internal.util;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Time-ordered ids (UUID version 7, RFC 9562 section 5.7): 48 bits of Unix milliseconds, then
 * random bits. Inserts stay in time order, which keeps B-tree appends cheap. Ids are not secrets.
 */
public final class Ids {
    private Ids() {}

    public static String uuid7(Clock clock) {
        long millis = clock.millis();
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (millis << 16) | 0x7000L | (r.nextLong() & 0x0FFFL);
        long lsb = (r.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb).toString();
    }
}
