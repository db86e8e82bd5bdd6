package dev.tokenkeeper.internal.limits;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The members of a set that come and go on the hot path, as the permits in flight do: an add is one
 * compare-and-set on a slot, a remove one ordered store, and neither allocates (a
 * {@code ConcurrentHashMap} key set took five atomic steps and a node per permit). A member knows its
 * slot; the set is for walking, not for lookups.
 *
 * <p>Slots live in chunks that never move: a member stays where it was put until removed, so a remove
 * needs no lock and cannot race a resize. The members are spread over stripes by a random number of
 * their own; a stripe whose chunks have no free slot near a member's number gets a chunk twice the size
 * of its largest, under the stripe's lock (the only lock here). {@link #trim} gives empty chunks back
 * (sealing each slot first, so that no add can land in a chunk being dropped).
 *
 * <p>{@link Member#remove} forgets the member's slot, so a second remove does nothing; but two removes
 * of one member must not run at once (the permit calls it under its monitor), since the slot of one
 * could meanwhile be taken by another member, which the other would then clear.
 */
final class OpenSet<E extends OpenSet.Member> {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    /** Fills a free slot of a chunk being dropped, so that no add takes it meanwhile. */
    private static final Object SEALED = new Object();

    private static final int STRIPES = 16; // a power of two
    private static final int FIRST_CHUNK = 64; // slots, a power of two
    private static final int PROBES = 8;

    /** Something in an {@link OpenSet}; in at most one set at a time. */
    abstract static class Member {
        /** Random: the stripe and the first slot tried. */
        final int hash = ThreadLocalRandom.current().nextInt();

        private Object @Nullable [] chunk;
        private int slot;

        /** Takes this member out of the set it was added to, if any. */
        final void remove() {
            Object[] c = chunk;
            if (c != null) {
                SLOT.setRelease(c, slot, null);
                chunk = null;
            }
        }
    }

    private static final class Stripe {
        /** Largest first; replaced whole, under the stripe's lock. */
        volatile Object[][] chunks = {new Object[FIRST_CHUNK]};
    }

    private final Stripe[] stripes = new Stripe[STRIPES];

    OpenSet() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** Adds {@code e}, which is in no set. */
    void add(E member) {
        Member e = member; // its private fields, which a type variable does not show
        Stripe s = stripes[e.hash & (STRIPES - 1)];
        int h = e.hash >>> 4;
        while (true) {
            Object[][] chunks = s.chunks;
            for (Object[] c : chunks) {
                int mask = c.length - 1;
                for (int p = 0; p < PROBES; p++) {
                    int i = (h + p) & mask;
                    if (SLOT.getAcquire(c, i) == null) {
                        // before the slot's CAS, which publishes them to whoever finds the member there
                        e.chunk = c;
                        e.slot = i;
                        if (SLOT.compareAndSet(c, i, null, e)) {
                            return;
                        }
                    }
                }
            }
            grow(s, chunks);
        }
    }

    /** A chunk twice the largest, first in line, unless another thread changed the chunks meanwhile. */
    private static void grow(Stripe s, Object[][] seen) {
        synchronized (s) {
            if (s.chunks != seen) {
                return;
            }
            Object[][] next = new Object[seen.length + 1][];
            next[0] = new Object[seen[0].length * 2];
            System.arraycopy(seen, 0, next, 1, seen.length);
            s.chunks = next;
        }
    }

    /** Calls {@code action} with every member (those added or removed meanwhile, or not). */
    @SuppressWarnings("unchecked")
    void forEach(Consumer<? super E> action) {
        for (Stripe s : stripes) {
            for (Object[] c : s.chunks) {
                for (int i = 0; i < c.length; i++) {
                    Object o = SLOT.getAcquire(c, i);
                    if (o != null && o != SEALED) {
                        action.accept((E) o);
                    }
                }
            }
        }
    }

    /** Members now (a count that concurrent adds and removes make approximate). */
    int size() {
        int[] n = {0};
        forEach(e -> n[0]++);
        return n[0];
    }

    /**
     * Drops the chunks left empty, keeping the smallest of a stripe whose chunks are all empty: after a
     * burst of calls in flight, the memory it took is given back.
     */
    void trim() {
        for (Stripe s : stripes) {
            synchronized (s) {
                Object[][] chunks = s.chunks;
                if (chunks.length == 1 && chunks[0].length == FIRST_CHUNK) {
                    continue;
                }
                Object[][] kept = new Object[chunks.length][];
                int n = 0;
                for (Object[] c : chunks) {
                    if (!seal(c)) {
                        kept[n++] = c;
                    }
                }
                if (n == 0) {
                    s.chunks = new Object[][] {new Object[FIRST_CHUNK]};
                } else if (n < chunks.length) {
                    Object[][] next = new Object[n][];
                    System.arraycopy(kept, 0, next, 0, n);
                    s.chunks = next;
                }
            }
        }
    }

    /** Seals every slot of {@code c} if all are free, and says so; otherwise unseals what it sealed. */
    private static boolean seal(Object[] c) {
        for (int i = 0; i < c.length; i++) { // a look first: a chunk in use is not sealed slot by slot
            if (SLOT.getAcquire(c, i) != null) {
                return false;
            }
        }
        for (int i = 0; i < c.length; i++) {
            if (!SLOT.compareAndSet(c, i, null, SEALED)) {
                for (int j = 0; j < i; j++) {
                    SLOT.setRelease(c, j, null);
                }
                return false;
            }
        }
        return true;
    }
}
