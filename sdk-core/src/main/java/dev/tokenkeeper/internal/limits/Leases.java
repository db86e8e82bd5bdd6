package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.internal.storage.CounterStore;
import dev.tokenkeeper.internal.storage.LeaseStore;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.Ticker;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitWindow;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared budgets leased to this instance in chunks, so that most admissions stay in memory.
 *
 * <p>A lease is a reservation row ({@code tk_limit_reservations}) on a window's counter, counted in
 * the counter's {@code reserved} like any reservation: the database never lets used + reserved pass
 * amount + grace, so leasing adds no overshoot. A call takes its estimate from the lease's free
 * units with one compare-and-set; when they do not suffice, the lease grows by an eighth of the room
 * left in the window (at least what the call needs) in one short transaction.
 *
 * <p>The cost of leasing is budget idle in other instances' leases. It is bounded and given back:
 * <ul>
 *   <li>a lease unused for {@code idle} (30 s) returns its free units, and so does every lease at
 *       window end and on close;
 *   <li>an instance that cannot get the room a call needs marks the window <em>recalled</em>, and
 *       waits up to {@code recallWait} (500 ms) for the others, which check for recalls every
 *       {@code sync} interval (100 ms), to give their free units back; from then on, every instance
 *       reserves exactly what its calls need in that window and gives back what they release, the
 *       waiting calls of an instance together in one transaction ({@link #takeExactly}), so that
 *       near exhaustion no call that fits is refused.
 * </ul>
 *
 * <p>A lease expires {@code ttl} (30 s) after its last renewal; live instances renew theirs, and any
 * instance releases an expired one, so a crashed instance's leases come back within about 35 s. An
 * instance only takes from a lease it renewed less than ttl − 5 s ago.
 */
public final class Leases {
    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);
    private static final int DIVISOR = 8;

    /** One lease: this instance's share of one limit's window. */
    public static final class Lease {
        final String id;
        final String limitId;
        final long windowStart;
        final long windowEnd;
        /** Leased and not taken by a call; negative when calls used more than they took (a debt). */
        final AtomicLong free = new AtomicLong();
        /** What the lease row holds: free + taken by calls whose usage is not committed yet. */
        final AtomicLong held = new AtomicLong();
        /** used + reserved of the counter after the last growth: beyond the amount means grace. */
        volatile long claimedAtGrowth;

        volatile boolean exact;
        volatile long validUntil;
        volatile long lastUse;
        /** Near exhaustion: the calls waiting for units, served together by whichever holds {@link #combining}. */
        final ConcurrentLinkedQueue<Ask> asks = new ConcurrentLinkedQueue<>();

        final ReentrantLock combining = new ReentrantLock();
        /** Free units wait to go back to the window (set before trying {@link #combining}). */
        volatile boolean returnPending;
        /** The limit as the latest call saw it (amount and grace give the cap). */
        volatile @Nullable Limit limit;
        /**
         * The cap (amount + grace) the lease last grew under: a call whose limit says less takes
         * nothing from it before it has given its free units back (the limit was lowered).
         */
        volatile long grantCap;

        Lease(String id, String limitId, long windowStart, long windowEnd, long grantCap) {
            this.id = id;
            this.limitId = limitId;
            this.windowStart = windowStart;
            this.windowEnd = windowEnd;
            this.grantCap = grantCap;
        }

        boolean tryTake(long n) {
            long f;
            do {
                f = free.get();
                if (f < n) {
                    return false;
                }
            } while (!free.compareAndSet(f, f - n));
            return true;
        }

        long takeAllFree() {
            long f;
            do {
                f = free.get();
                if (f <= 0) {
                    return 0;
                }
            } while (!free.compareAndSet(f, 0));
            return f;
        }

        public String limitId() {
            return limitId;
        }

        public long windowStart() {
            return windowStart;
        }

        /** The lease row's id. */
        public String id() {
            return id;
        }

        /** used + reserved of the window when this lease last grew. */
        public long claimedAtGrowth() {
            return claimedAtGrowth;
        }
    }

    /** One call's request for units near exhaustion. */
    static final class Ask {
        final long n;
        /** 0 pending, 1 granted, 2 refused; written by the combining thread before it unlocks. */
        volatile int state;

        volatile @Nullable RuntimeException failure;

        Ask(long n) {
            this.n = n;
        }
    }

    private static final int PENDING = 0;
    private static final int GRANTED = 1;
    private static final int REFUSED = 2;

    /** The longest a call waits for a recall in real time, whatever the keeper's clock says. */
    private static final long REAL_TIME_CAP_MILLIS = 30_000;

    private final Storage storage;
    private final Clock clock;
    private final Ticker ticker;
    private final String instance = UUID.randomUUID().toString();
    private final long ttl;
    private final long idle;
    private final long recallWait;
    private final ConcurrentHashMap<LimitCharge.Key, Lease> leases = new ConcurrentHashMap<>();
    private volatile long lastRecallCheck;

    public Leases(Storage storage, Clock clock, Duration ttl, Duration idle, Duration recallWait) {
        this.storage = storage;
        this.clock = clock;
        this.ticker = Ticker.of(clock);
        this.ttl = ttl.toMillis();
        this.idle = idle.toMillis();
        this.recallWait = recallWait.toMillis();
        this.lastRecallCheck = clock.millis();
    }

    private static long end(LimitWindow w) {
        return w.end() == null ? Long.MAX_VALUE : w.end().toEpochMilli();
    }

    /**
     * Takes {@code n} units for a call from this instance's lease on the limit's window, growing the
     * lease (or, near exhaustion, recalling the others') when needed. Returns the lease, or null when
     * the window cannot take the call.
     */
    public @Nullable Lease take(Limit l, LimitWindow w, long n) {
        long start = w.start().toEpochMilli();
        long cap = l.amount() + l.grace(); // at most LimitRules.MAX_UNITS: no overflow
        Lease lease = leases.computeIfAbsent(
                new LimitCharge.Key(l.id(), start),
                k -> new Lease("lease:" + instance + ":" + l.id() + ":" + start, l.id(), start, end(w), cap));
        if (cap < lease.grantCap) {
            // The limit was lowered since the lease grew: its free units were granted under the old cap.
            // (The instance gives them back as soon as it sees the change, see limitChanged; a call that
            // still held the old limit may have grown the lease since.)
            lease.grantCap = cap;
            giveBack(lease);
        }
        long now = clock.millis();
        if (!lease.exact && now < lease.validUntil && lease.tryTake(n)) {
            lease.lastUse = now;
            return lease;
        }
        if (lease.exact) {
            return takeExactly(lease, l, n, now) ? lease : null;
        }
        return grow(lease, l, n) ? lease : null;
    }

    /**
     * Near exhaustion (the window was recalled) every unit is reserved on the counter as calls need
     * it. The calls of this instance that wait at the same moment are served together (flat
     * combining): the thread that holds the lease's combining lock takes what they all need in one
     * short transaction, as much as the window has room for, and hands the units out in arrival
     * order; units that calls released meanwhile are netted against it. So the counter's row lock is
     * contended by one transaction per instance at a time, not by one per thread.
     */
    private boolean takeExactly(Lease lease, Limit l, long n, long now) {
        if (now >= lease.validUntil && lease.held.get() > 0) {
            synchronized (lease) { // one renewal, not one per thread
                if (now >= lease.validUntil) {
                    renew(List.of(lease), now);
                }
            }
        }
        lease.limit = l;
        if (lease.tryTake(n)) { // units a release has not given back yet
            lease.lastUse = now;
            return true;
        }
        Ask ask = new Ask(n);
        lease.asks.add(ask);
        lease.combining.lock();
        try {
            while (ask.state == PENDING) {
                combine(lease);
            }
        } finally {
            unlock(lease);
        }
        RuntimeException failure = ask.failure;
        if (failure != null) {
            throw failure;
        }
        if (ask.state == GRANTED) {
            lease.lastUse = now;
            return true;
        }
        return false;
    }

    /**
     * Unlocks the combining lock and serves what arrived meanwhile: a thread that queued an ask or
     * flagged units to return, and found the lock held, relies on its holder to look once more after
     * unlocking.
     */
    private void unlock(Lease lease) {
        while (true) {
            lease.combining.unlock();
            if ((lease.asks.isEmpty() && !lease.returnPending) || !lease.combining.tryLock()) {
                return;
            }
            try {
                combine(lease);
            } catch (RuntimeException e) {
                LOG.debug("TokenKeeper: a lease could not be settled: {}", e.toString());
            }
        }
    }

    /** One round, under the combining lock: the asks queued now, and free units to give back. */
    private void combine(Lease lease) {
        lease.returnPending = false;
        List<Ask> waiting = new ArrayList<>();
        for (Ask a; (a = lease.asks.poll()) != null; ) {
            if (lease.tryTake(a.n)) {
                a.state = GRANTED;
            } else {
                waiting.add(a);
            }
        }
        Limit l = lease.limit;
        if (waiting.isEmpty() || l == null) {
            giveBack(lease); // nothing to take: free units go back to the window at once
            return;
        }
        long want = 0;
        long min = Long.MAX_VALUE;
        for (Ask a : waiting) {
            want += a.n;
            min = Math.min(min, a.n);
        }
        long have = lease.takeAllFree(); // released units count towards the need
        long debt = Math.max(0, -lease.free.get()); // usage beyond what calls took, not reserved yet
        long now = clock.millis();
        LeaseStore.Taken taken;
        long wantDb = Math.max(0, want + debt - have);
        try {
            long cap = l.amount() + l.grace();
            long minDb = Math.max(0, min + debt - have);
            taken = wantDb == 0
                    ? new LeaseStore.Taken(0, lease.claimedAtGrowth)
                    : storage.write(tx -> storage.leases()
                            .takeOnLease(tx, lease.id, l.id(), lease.windowStart, wantDb, minDb, cap, now + ttl));
        } catch (RuntimeException e) {
            lease.free.addAndGet(have);
            for (Ask a : waiting) {
                a.failure = e;
                a.state = REFUSED;
            }
            throw e;
        }
        if (taken == null) {
            lease.free.addAndGet(have);
            waiting.forEach(a -> a.state = REFUSED);
            if (have > 0) {
                lease.returnPending = true;
            }
            return;
        }
        if (taken.granted() > 0) {
            lease.claimedAtGrowth = taken.claimed();
            lease.held.addAndGet(taken.granted());
            lease.validUntil = Math.max(lease.validUntil, now + ttl - 5_000);
        }
        lease.free.addAndGet(have + taken.granted()); // the debt is covered first
        boolean all = taken.granted() >= wantDb;
        for (Ask a : waiting) {
            if (lease.tryTake(a.n)) {
                a.state = GRANTED;
            } else if (all) {
                lease.asks.add(a); // a call that did not queue took the units meanwhile: ask again
            } else {
                a.state = REFUSED; // the window had room for the asks before it only
            }
        }
        if (lease.free.get() > 0) {
            lease.returnPending = true; // what the asks left goes back in the next round
        }
    }

    /** Gives free units back now, or leaves them to the thread that is combining. */
    private void returnFree(Lease lease) {
        lease.returnPending = true;
        if (lease.combining.tryLock()) {
            try {
                combine(lease);
            } catch (RuntimeException e) {
                LOG.debug("TokenKeeper: a lease could not be given back: {}", e.toString());
            } finally {
                unlock(lease);
            }
        }
    }

    private boolean grow(Lease lease, Limit l, long n) {
        long cap = l.amount() + l.grace();
        boolean waiting = false;
        long deadline = 0; // ticker time when waiting for a recall ends
        long realCap = 0; // System.nanoTime() past which it ends anyway: a clock that never moves must not hang a call
        synchronized (lease) {
            while (true) {
                long now = clock.millis();
                if (!lease.exact && now < lease.validUntil && lease.tryTake(n)) {
                    lease.lastUse = now;
                    return true;
                }
                if (now >= lease.validUntil && lease.held.get() > 0) {
                    renew(List.of(lease), now);
                }
                long need = n - Math.min(lease.free.get(), n); // a debt (free < 0) is covered too
                boolean exactBefore = lease.exact;
                long granted = storage.write(tx -> {
                    CounterStore.CounterState c = storage.counters().lockCounter(tx, l.id(), lease.windowStart);
                    if (c.recalled()) {
                        lease.exact = true;
                    }
                    long room = cap - c.used() - c.reserved();
                    if (room < need) {
                        return -1L;
                    }
                    long g = lease.exact ? need : Math.max(need, room / DIVISOR);
                    if (g > 0
                            && !storage.leases()
                                    .growLease(tx, lease.id, l.id(), lease.windowStart, g, cap, now + ttl)) {
                        return -1L;
                    }
                    lease.claimedAtGrowth = c.used() + c.reserved() + g;
                    return g;
                });
                if (granted >= 0) { // a call of zero units fits while the window is within its cap
                    lease.grantCap = cap;
                    lease.held.addAndGet(granted);
                    lease.free.addAndGet(granted);
                    lease.validUntil = now + ttl - 5_000;
                    if (lease.tryTake(n)) {
                        lease.lastUse = now;
                        return true;
                    }
                    continue; // taken by another thread of this instance: grow again
                }
                if (!exactBefore && !lease.exact) {
                    // the first refusal in this window: ask every instance for its unused lease
                    lease.exact = true;
                    boolean others = storage.write(
                            tx -> storage.counters().recall(tx, l.id(), lease.windowStart, now, lease.id));
                    giveBack(lease);
                    waiting = others; // no other instance holds a lease here: nothing to wait for
                    deadline = ticker.read() + recallWait * 1_000_000L;
                    realCap = System.nanoTime() + Math.max(recallWait, REAL_TIME_CAP_MILLIS) * 1_000_000L;
                }
                if (!waiting || ticker.read() - deadline >= 0 || System.nanoTime() - realCap >= 0) {
                    return false;
                }
                try {
                    lease.wait(20); // releases the lock: other threads may settle meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** A call's units go back to its lease (a release, or a call that was not recorded). */
    public void giveBack(Lease lease, long n) {
        lease.free.addAndGet(n);
        if (lease.exact) {
            returnFree(lease);
        }
    }

    /**
     * A call completed: its lease keeps what it took minus what it used ({@code used} may exceed
     * {@code taken}); the usage leaves the lease when the ledger commits it ({@link #committed}).
     */
    public void settled(Lease lease, long taken, long used) {
        long f = lease.free.addAndGet(taken - used);
        if (f < 0) {
            // the call used more than the lease had: the usage is real, so it is reserved unconditionally
            long debt = -f;
            try {
                reserveUnconditionally(lease, debt, clock.millis());
                lease.held.addAndGet(debt);
                lease.free.addAndGet(debt);
            } catch (RuntimeException e) {
                LOG.debug("TokenKeeper: a lease's debt is left for its next growth: {}", e.toString());
            }
        } else if (lease.exact && f > 0) {
            returnFree(lease);
        }
    }

    /** The ledger committed usage taken from leases: the lease rows shrank by it in that transaction. */
    public void committed(Lease lease, long used) {
        lease.held.addAndGet(-used);
    }

    /** Adds real usage (or calls in flight) to a lease with no cap check: it happened already. */
    private void reserveUnconditionally(Lease lease, long units, long now) {
        storage.write(tx -> storage.leases()
                .growLease(tx, lease.id, lease.limitId, lease.windowStart, units, Long.MAX_VALUE, now + ttl));
    }

    /** Returns a lease's free units to the window. */
    private void giveBack(Lease lease) {
        long x = lease.takeAllFree();
        if (x == 0) {
            return;
        }
        try {
            boolean present = storage.write(
                    tx -> storage.leases().shrinkLease(tx, lease.id, lease.limitId, lease.windowStart, x));
            if (present) {
                lease.held.addAndGet(-x);
            } else {
                lease.held.set(0); // expired and released by the sweep: nothing is reserved any more
                lease.validUntil = 0;
            }
        } catch (RuntimeException e) {
            lease.free.addAndGet(x);
            LOG.debug("TokenKeeper: a lease could not be given back: {}", e.toString());
        }
    }

    private void renew(List<Lease> some, long now) {
        for (Lease l : some) {
            // one short transaction per lease: it holds one row lock, so it cannot deadlock with the
            // ledger's writer, which updates many lease rows at once
            boolean gone = !storage.write(tx -> storage.leases().renewLeases(tx, List.of(l.id), now + ttl))
                    .isEmpty();
            if (gone) {
                // the row expired (this instance stalled) and was released: what calls in flight hold is
                // real, so it is reserved again, unconditionally; the free units are gone
                long inFlight = Math.max(0, l.held.get() - Math.max(0, l.free.getAndSet(0)));
                if (inFlight > 0) {
                    reserveUnconditionally(l, inFlight, now);
                }
                l.held.set(inFlight);
            }
            l.validUntil = now + ttl - 5_000;
        }
    }

    /**
     * The background work (every sync interval): gives back the free units of recalled windows, of idle
     * leases and of ended windows; renews leases due; forgets leases that hold nothing.
     */
    public void maintain() {
        if (leases.isEmpty()) {
            return;
        }
        long now = clock.millis();
        long since = lastRecallCheck - 1_000; // overlapping checks: a recall is never missed
        List<LimitCharge.Key> recalled = storage.read(tx -> storage.counters().recalledSince(tx, since));
        lastRecallCheck = now;
        for (LimitCharge.Key k : recalled) {
            Lease lease = leases.get(k);
            if (lease != null && !lease.exact) {
                lease.exact = true;
                giveBack(lease);
            }
        }
        List<Lease> due = new ArrayList<>();
        for (Lease lease : leases.values()) {
            boolean ended = lease.windowEnd <= now;
            if (ended || lease.exact || now - lease.lastUse > idle) {
                giveBack(lease);
            }
            if (ended && lease.held.get() <= 0) {
                leases.remove(new LimitCharge.Key(lease.limitId, lease.windowStart), lease);
            } else if (lease.held.get() > 0 && now > lease.validUntil - ttl / 2) {
                due.add(lease);
            }
        }
        if (!due.isEmpty()) {
            renew(due, now);
        }
    }

    /** Gives back every lease's free units (on close). */
    public void returnAll() {
        for (Lease lease : leases.values()) {
            giveBack(lease);
        }
    }

    /**
     * A limit changed (its amount or grace may be lower now): its leases give their free units back,
     * so that the next call that needs units grows its lease against the limit's new cap instead of
     * taking units leased under the old one.
     */
    public void limitChanged(String limitId) {
        for (Lease lease : leases.values()) {
            if (lease.limitId.equals(limitId)) {
                giveBack(lease);
            }
        }
    }

    /** A limit was deleted: its leases go (its rows went with its counters). */
    public void forget(String limitId) {
        leases.keySet().removeIf(k -> k.limitId().equals(limitId));
    }
}
