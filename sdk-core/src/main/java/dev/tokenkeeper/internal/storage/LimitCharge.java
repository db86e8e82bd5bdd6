package dev.tokenkeeper.internal.storage;

import org.jspecify.annotations.Nullable;

/**
 * What one event adds to one limit's counter.
 *
 * @param limitId the limit
 * @param windowStart the first instant of the window the event falls in (epoch ms)
 * @param windowEnd the first instant after it ({@link Long#MAX_VALUE} for a total)
 * @param units the amount, in the limit's unit
 */
public record LimitCharge(String limitId, long windowStart, long windowEnd, long units) {
    /** The counter row this charge adds to. */
    public record Key(String limitId, long windowStart) implements Comparable<Key> {
        // equals and hashCode written out: a record's own go through an invokedynamic bootstrap that
        // the JIT did not always inline, and this key is hashed on every admission
        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Key k && windowStart == k.windowStart && limitId.equals(k.limitId);
        }

        @Override
        public int hashCode() {
            return 31 * limitId.hashCode() + Long.hashCode(windowStart);
        }

        @Override
        public int compareTo(Key o) {
            int c = limitId.compareTo(o.limitId);
            return c != 0 ? c : Long.compare(windowStart, o.windowStart);
        }
    }

    public Key key() {
        return new Key(limitId, windowStart);
    }
}
