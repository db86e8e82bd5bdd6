package dev.tokenkeeper.internal.usage;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The requests this instance recorded recently, each with the time its first attempt was stamped
 * with, so that a re-stamped retry maps to the first attempt (whose event id follows from that time
 * and the request's key). A request is known by its {@link EventIds#key key}: 128 bits of SHA-256 of
 * tenant and request id.
 *
 * <p>Two generations: new entries go into the current one; when it is one window old, or holds half
 * of {@code maxEntries}, it becomes the previous one and the one before is dropped whole. So an entry
 * is remembered for at least one window (unless more than half of {@code maxEntries} new requests
 * arrive within it) and at most two, and memory stays below {@code maxEntries} entries.
 *
 * <p>Each generation is a set of open-addressing tables of primitive longs (key and time, 24 bytes
 * an entry), each behind its own lock. A map of objects kept every remembered request as three
 * objects that all survived young collections: with a million entries, that made each collection
 * copy tens of megabytes, and the lookups missed the CPU caches twice per call. Thread-safe; time
 * comes from the keeper's clock.
 */
final class RecentRequests {
    /** Returned by {@link #firstAt} for a request seen for the first time. */
    static final long NONE = Long.MIN_VALUE;

    private static final long EMPTY = Long.MIN_VALUE;
    private static final long REMOVED = Long.MIN_VALUE + 1;
    private static final int SEGMENTS = 64; // a power of two
    private static final int INITIAL_SLOTS = 512; // per segment, a power of two: 12 KiB

    private record Generations(Table current, Table previous, long startedAt) {}

    private final Clock clock;
    private final long windowMillis;
    private final int generationLimit;
    private final AtomicReference<Generations> generations;

    RecentRequests(Clock clock, Duration window, int maxEntries) {
        this.clock = clock;
        this.windowMillis = window.toMillis();
        this.generationLimit = Math.max(1, maxEntries / 2);
        this.generations = new AtomicReference<>(new Generations(new Table(), new Table(), clock.millis()));
    }

    /**
     * When the first attempt of the request was stamped; or, when this is the first attempt (within
     * memory), {@link #NONE}, and {@code at} is remembered as that time from now on. Of concurrent
     * first attempts, exactly one gets {@link #NONE}.
     *
     * @param at the attempt's time, Unix milliseconds, never negative
     */
    long firstAt(EventIds.RequestKey key, long at) {
        Generations g = current();
        long seen = g.previous().find(key.hi(), key.lo());
        return seen != NONE ? seen : g.current().putIfAbsent(key.hi(), key.lo(), at);
    }

    /** Forgets a request (its first attempt was not recorded after all). */
    void forget(EventIds.RequestKey key) {
        Generations g = generations.get();
        g.current().remove(key.hi(), key.lo());
        g.previous().remove(key.hi(), key.lo());
    }

    /** Entries remembered now (both generations). */
    int size() {
        Generations g = generations.get();
        return g.current().size.get() + g.previous().size.get();
    }

    private Generations current() {
        Generations g = generations.get();
        long now = clock.millis();
        if (now - g.startedAt() < windowMillis && g.current().size.get() < generationLimit) {
            return g;
        }
        Generations next = new Generations(new Table(), g.current(), now);
        // one thread turns the generation; the others use whatever is current after the attempt
        return generations.compareAndSet(g, next) ? next : generations.get();
    }

    /** One generation: segments chosen by the key's top bits, each an open-addressing table. */
    private static final class Table {
        final Segment[] segments = new Segment[SEGMENTS];
        final AtomicInteger size = new AtomicInteger();

        Table() {
            for (int i = 0; i < SEGMENTS; i++) {
                segments[i] = new Segment();
            }
        }

        private Segment segment(long hi) {
            return segments[(int) (hi >>> 58) & (SEGMENTS - 1)];
        }

        long find(long hi, long lo) {
            return segment(hi).find(hi, lo);
        }

        long putIfAbsent(long hi, long lo, long at) {
            long seen = segment(hi).putIfAbsent(hi, lo, at);
            if (seen == NONE) {
                size.incrementAndGet();
            }
            return seen;
        }

        void remove(long hi, long lo) {
            if (segment(hi).remove(hi, lo)) {
                size.decrementAndGet();
            }
        }
    }

    /**
     * Linear probing over one array of slots, three longs each (key high, key low, time), so that a
     * probe touches one cache line; a slot's time is {@link #EMPTY} when free and {@link #REMOVED} for
     * a forgotten entry (skipped by lookups, reclaimed when the table grows).
     */
    private static final class Segment {
        private long[] slots = emptySlots(INITIAL_SLOTS);
        /** Slots not {@link #EMPTY}: entries and removed ones. */
        private int used;

        private static long[] emptySlots(int count) {
            long[] a = new long[count * 3];
            for (int i = 2; i < a.length; i += 3) {
                a[i] = EMPTY;
            }
            return a;
        }

        /** The first slot to probe, as an index into {@code slots}. */
        private static int start(long lo, int count) {
            return ((int) (lo ^ (lo >>> 32)) & (count - 1)) * 3;
        }

        private static int next(int i, int length) {
            i += 3;
            return i == length ? 0 : i;
        }

        synchronized long find(long hi, long lo) {
            int i = indexOf(hi, lo);
            return i < 0 ? NONE : slots[i + 2];
        }

        /** Where the entry of {@code (hi, lo)} stands in {@code slots}, or -1; under the lock. */
        private int indexOf(long hi, long lo) {
            long[] a = slots;
            for (int i = start(lo, a.length / 3); ; i = next(i, a.length)) {
                long at = a[i + 2];
                if (at == EMPTY) {
                    return -1;
                }
                if (a[i] == hi && a[i + 1] == lo && at != REMOVED) {
                    return i;
                }
            }
        }

        synchronized long putIfAbsent(long hi, long lo, long at) {
            long[] a = slots;
            int i = start(lo, a.length / 3);
            for (; ; i = next(i, a.length)) {
                long seen = a[i + 2];
                if (seen == EMPTY) {
                    break;
                }
                if (a[i] == hi && a[i + 1] == lo && seen != REMOVED) {
                    return seen;
                }
            }
            a[i] = hi;
            a[i + 1] = lo;
            a[i + 2] = at;
            if (++used * 2 > a.length / 3) {
                grow();
            }
            return NONE;
        }

        synchronized boolean remove(long hi, long lo) {
            int i = indexOf(hi, lo);
            if (i < 0) {
                return false;
            }
            slots[i + 2] = REMOVED;
            return true;
        }

        /** Rehashes into a table twice as large (or as large, when removed slots make up the load). */
        private void grow() {
            long[] old = slots;
            int count = old.length / 3;
            int live = 0;
            for (int j = 2; j < old.length; j += 3) {
                if (old[j] != EMPTY && old[j] != REMOVED) {
                    live++;
                }
            }
            long[] a = emptySlots(live * 2 > count / 2 ? count * 2 : count);
            for (int j = 0; j < old.length; j += 3) {
                long at = old[j + 2];
                if (at == EMPTY || at == REMOVED) {
                    continue;
                }
                int i = start(old[j + 1], a.length / 3);
                while (a[i + 2] != EMPTY) {
                    i = next(i, a.length);
                }
                a[i] = old[j];
                a[i + 1] = old[j + 1];
                a[i + 2] = at;
            }
            slots = a;
            used = live;
        }
    }
}
