package dev.tokenkeeper.internal.usage;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The requests this instance recorded recently, each with the time its first attempt was stamped
 * with, so that a re-stamped retry maps to the first attempt (whose event id follows from that time
 * and the request's key). A request is known by its {@link EventIds#key key}: a keyed 128-bit hash of
 * tenant and request id.
 *
 * <p>Two generations: new entries go into the current one; when it is one window old, or has taken
 * half of {@code maxEntries} new entries, it becomes the previous one and the one before is dropped
 * whole. So an entry is remembered for at least one window (unless more than half of
 * {@code maxEntries} new requests arrive within it) and at most two, and no more than
 * {@code maxEntries} entries are remembered (give or take the calls in flight at a turn).
 *
 * <p>The keys are spread over segments by their top bits. Each segment holds both generations of its
 * keys, as open-addressing tables of primitive longs (key and time, 24 bytes an entry), behind one
 * lock: a lookup in the previous generation and the insertion into the current one are one atomic
 * step, also while a generation turns, so of concurrent first attempts exactly one sees
 * {@link #NONE}. A turn is an epoch number that grows; each segment moves its own tables along the
 * next time it is locked, and the thread that turns the epoch does so for every segment at once, so
 * a dropped generation's memory is freed without waiting for traffic.
 *
 * <p>(Primitive tables rather than a map of objects: a million remembered requests as objects all
 * survived young collections, and each collection copied tens of megabytes.) Thread-safe; time
 * comes from the keeper's clock.
 */
final class RecentRequests {
    /** Returned by {@link #firstAt} for a request seen for the first time. */
    static final long NONE = Long.MIN_VALUE;

    private static final long EMPTY = Long.MIN_VALUE;
    private static final long REMOVED = Long.MIN_VALUE + 1;
    private static final int SEGMENTS = 64; // a power of two
    private static final int INITIAL_SLOTS = 512; // per segment and generation, a power of two: 12 KiB

    /** The current generation: its number, when it started, and how many entries it has taken. */
    private record Epoch(long number, long startedAt, AtomicInteger taken) {}

    private final Clock clock;
    private final long windowMillis;
    private final int generationLimit;
    private final Segment[] segments = new Segment[SEGMENTS];
    private volatile Epoch epoch;

    RecentRequests(Clock clock, Duration window, int maxEntries) {
        this.clock = clock;
        this.windowMillis = window.toMillis();
        this.generationLimit = Math.max(1, maxEntries / 2);
        this.epoch = new Epoch(0, clock.millis(), new AtomicInteger());
        for (int i = 0; i < SEGMENTS; i++) {
            segments[i] = new Segment();
        }
    }

    /**
     * When the first attempt of the request was stamped; or, when this is the first attempt (within
     * memory), {@link #NONE}, and {@code at} is remembered as that time from now on. Of concurrent
     * first attempts, exactly one gets {@link #NONE}.
     *
     * @param at the attempt's time, Unix milliseconds, never negative
     */
    long firstAt(EventIds.RequestKey key, long at) {
        Epoch e = turnIfDue();
        long seen = segment(key.hi()).firstAt(e.number(), key.hi(), key.lo(), at);
        if (seen == NONE) {
            e.taken().incrementAndGet();
        }
        return seen;
    }

    /** Forgets a request (its first attempt was not recorded after all). */
    void forget(EventIds.RequestKey key) {
        segment(key.hi()).forget(epoch.number(), key.hi(), key.lo());
    }

    /** Entries remembered now (both generations). */
    int size() {
        long number = epoch.number();
        int size = 0;
        for (Segment s : segments) {
            size += s.size(number);
        }
        return size;
    }

    private Segment segment(long hi) {
        return segments[(int) (hi >>> 58) & (SEGMENTS - 1)];
    }

    @SuppressWarnings("ReferenceEquality") // the same epoch object, not an equal one: identity is the point
    private Epoch turnIfDue() {
        Epoch e = epoch;
        long now = clock.millis();
        if (now - e.startedAt() < windowMillis && e.taken().get() < generationLimit) {
            return e;
        }
        synchronized (this) { // one thread turns; the others take the epoch it made
            Epoch latest = epoch;
            if (latest != e) {
                return latest;
            }
            Epoch next = new Epoch(e.number() + 1, now, new AtomicInteger());
            epoch = next;
            for (Segment s : segments) {
                s.moveTo(next.number());
            }
            return next;
        }
    }

    /** One segment's keys in both generations, behind the segment's lock. */
    private static final class Segment {
        private long epoch;
        private Slots current = new Slots(INITIAL_SLOTS);
        private Slots previous = new Slots(INITIAL_SLOTS);

        /** Brings the generations along to epoch {@code number} (never back); under the lock. */
        private void advance(long number) {
            if (number <= epoch) {
                return;
            }
            previous = number - epoch == 1 ? current : new Slots(INITIAL_SLOTS);
            current = new Slots(INITIAL_SLOTS);
            epoch = number;
        }

        synchronized void moveTo(long number) {
            advance(number);
        }

        synchronized long firstAt(long number, long hi, long lo, long at) {
            advance(number);
            long seen = previous.find(hi, lo);
            return seen != NONE ? seen : current.putIfAbsent(hi, lo, at);
        }

        synchronized void forget(long number, long hi, long lo) {
            advance(number);
            current.remove(hi, lo);
            previous.remove(hi, lo);
        }

        synchronized int size(long number) {
            advance(number);
            return current.live + previous.live;
        }
    }

    /**
     * Linear probing over one array of slots, three longs each (key high, key low, time), so that a
     * probe touches one cache line; a slot's time is {@link #EMPTY} when free and {@link #REMOVED} for
     * a forgotten entry (skipped by lookups, reclaimed when the table grows). Not thread-safe: its
     * segment's lock guards it.
     */
    private static final class Slots {
        private long[] slots;
        /** Slots not {@link #EMPTY}: entries and removed ones. */
        private int used;
        /** Entries (not removed). */
        private int live;

        Slots(int count) {
            slots = emptySlots(count);
        }

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

        long find(long hi, long lo) {
            int i = indexOf(hi, lo);
            return i < 0 ? NONE : slots[i + 2];
        }

        /** Where the entry of {@code (hi, lo)} stands in {@code slots}, or -1. */
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

        long putIfAbsent(long hi, long lo, long at) {
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
            live++;
            if (++used * 2 > a.length / 3) {
                grow();
            }
            return NONE;
        }

        void remove(long hi, long lo) {
            int i = indexOf(hi, lo);
            if (i >= 0) {
                slots[i + 2] = REMOVED;
                live--;
            }
        }

        /** Rehashes into a table twice as large (or as large, when removed slots make up the load). */
        private void grow() {
            long[] old = slots;
            int count = old.length / 3;
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
