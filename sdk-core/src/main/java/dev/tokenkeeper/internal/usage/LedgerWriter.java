package dev.tokenkeeper.internal.usage;

import dev.tokenkeeper.internal.limits.Budgets;
import dev.tokenkeeper.internal.limits.LimitAlerts;
import dev.tokenkeeper.internal.storage.HourlyRollup;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.storage.WriterSession;
import dev.tokenkeeper.internal.usage.LedgerItem.FlushMarker;
import dev.tokenkeeper.internal.usage.LedgerItem.Pending;
import dev.tokenkeeper.internal.usage.LedgerItem.Settled;
import dev.tokenkeeper.limits.LimitAlert;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.LedgerFullException;
import dev.tokenkeeper.usage.LedgerOverflowPolicy;
import dev.tokenkeeper.usage.LedgerStats;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.jctools.queues.MpscArrayQueue;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger's writer: a bounded queue and one thread that commits batches of events together with
 * their hourly roll-ups and their budgets' counters in one transaction (or, in synchronous mode, the
 * same write on the caller's thread). A batch the database refuses is retried, then taken apart to
 * isolate the events that cannot be stored.
 *
 * <p>The queue is JCTools' multi-producer, single-consumer array queue: a caller queues an event with
 * one compare-and-set and no lock, where a {@code BlockingQueue} takes a lock that the writer also
 * holds while it drains a batch. It does not block, so the writer parks itself when idle and callers
 * wake it ({@link #writerState}), and callers waiting for room under {@code BLOCK} wait on
 * {@link #progress}.
 */
final class LedgerWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LedgerWriter.class);
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final long NO_BATCH = Long.MIN_VALUE;
    private static final String DENIED = CallOutcome.DENIED.name();

    private final Storage storage;
    private final Clock clock;
    private final Budgets budgets;
    private final LimitAlerts limitAlerts;
    private final RecentRequests recent;
    private final LedgerSettings settings;
    /** Sized to the power of two above the capacity: room for the markers of flush and close. */
    private final MpscArrayQueue<LedgerItem> queue;
    /** How many events the queue takes (ledgerQueueCapacity): the markers may pass it. */
    private final int capacity;

    private final LongAdder written = new LongAdder();
    /** Events put in the queue, and taken from it by the writer: their difference is what waits. */
    private final LongAdder enqueued = new LongAdder();

    private final LongAdder taken = new LongAdder();
    /** Events in the batch being committed now. */
    private volatile int writing;
    /** When the oldest event of the batch being committed was queued (the clock's millis), or NO_BATCH. */
    private volatile long writingSince = NO_BATCH;
    /** The writer's recent commit rate, events per millisecond (0 until it has committed). */
    private volatile double eventsPerMilli;
    /**
     * Callers waiting for the lag to fall under ledgerMaxLag, or for room in the queue under BLOCK, wait
     * on it; the writer wakes them after each batch it takes and each batch it commits.
     */
    private final Object progress = new Object();
    /** Callers waiting on {@link #progress} (written under it): the writer wakes them only if any. */
    private volatile int waiters;

    private final LongAdder duplicates = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder failedBatches = new LongAdder();
    private final LongAdder poisoned = new LongAdder();
    private final @Nullable Thread writer;
    /** Synchronous mode: each caller writes through a pooled connection of its own. */
    private final WriterSession pooled = new WriterSession() {
        @Override
        public <T> T write(Function<StorageTx, T> work) {
            return storage.write(work);
        }

        @Override
        public void close() {}
    };

    private volatile boolean stopping;
    /**
     * What the writer does, for a caller that queued an event to know whether to wake it: {@link #BUSY},
     * {@link #IDLE} (parked until an event comes) or {@link #LINGERING} (parked until its batch fills).
     */
    private volatile int writerState = BUSY;

    private static final int BUSY = 0;
    private static final int IDLE = 1;
    private static final int LINGERING = 2;
    /** Flush markers queued and not yet handled by the writer: one ends its wait for a batch to fill. */
    private final AtomicInteger pendingFlushes = new AtomicInteger();
    /** How long the writer waits, after the first event, for more before it commits (nanoseconds). */
    private final long lingerNanos;

    LedgerWriter(
            Storage storage,
            Clock clock,
            Budgets budgets,
            LimitAlerts limitAlerts,
            RecentRequests recent,
            LedgerSettings settings,
            ThreadFactory threads) {
        this.storage = storage;
        this.clock = clock;
        this.budgets = budgets;
        this.limitAlerts = limitAlerts;
        this.recent = recent;
        this.settings = settings;
        this.capacity = settings.queueCapacity();
        this.queue = new MpscArrayQueue<>(capacity + 1);
        Duration linger = settings.flushInterval();
        Duration maxLag = settings.maxLag();
        if (maxLag != null && linger.compareTo(maxLag.dividedBy(4)) > 0) {
            // a batch's wait stays a small part of the lag that ledgerMaxLag allows
            linger = maxLag.dividedBy(4);
        }
        this.lingerNanos = linger.toNanos();
        if (settings.synchronous()) {
            this.writer = null;
        } else {
            Thread t = threads.newThread(this::runWriter);
            t.setName("tokenkeeper-ledger-writer");
            t.setDaemon(true);
            this.writer = t;
            t.start();
        }
    }

    /** Whether events are written before {@code record} returns, on the caller's thread. */
    boolean synchronous() {
        return writer == null;
    }

    /** Writes the event now, on the caller's thread (synchronous mode). */
    void writeNow(Pending item) {
        write(pooled, List.of(item));
    }

    /**
     * Queues a refusal's trace if there is room at once; never waits. Returns whether it was queued
     * (or, in synchronous mode, written).
     */
    boolean offerTrace(Pending item) {
        if (writer == null) {
            write(pooled, List.of(item));
            return true;
        }
        if (queue.offerIfBelowThreshold(item, capacity)) {
            enqueued.increment();
            wakeIfWaiting();
            return true;
        }
        return false;
    }

    /** Queues the event under the overflow policy, or throws {@link LedgerFullException}. */
    void enqueue(LedgerItem.Event item) {
        if (lagOverBound() && !awaitLag()) {
            refused.increment();
            throw new LedgerFullException("the usage ledger is more than ledgerMaxLag (" + settings.maxLag()
                    + ") behind; the event was not recorded");
        }
        if (!offer(item)) {
            refused.increment();
            throw new LedgerFullException("the usage ledger's queue is full (" + settings.queueCapacity()
                    + " events); the event was not recorded");
        }
        enqueued.increment();
        wakeIfWaiting();
    }

    /** After an event was queued: wakes the writer if it waits for an event, or for its batch to fill. */
    private void wakeIfWaiting() {
        int state = writerState;
        if (state == IDLE || (state == LINGERING && batchFull())) {
            wakeWriter();
        }
    }

    /**
     * While the writer waits for a batch to fill: whether it has, counting the event the writer holds
     * already besides those queued.
     */
    private boolean batchFull() {
        return queue.size() + 1 >= settings.batchSize();
    }

    private void wakeWriter() {
        Thread w = writer;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    private boolean offer(LedgerItem item) {
        if (queue.offerIfBelowThreshold(item, capacity)) {
            return true; // the common case
        }
        if (settings.overflowPolicy() == LedgerOverflowPolicy.REJECT) {
            return false;
        }
        try {
            return offerWithin(
                    item, capacity, System.nanoTime() + settings.blockTimeout().toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Queues {@code item} while the queue holds fewer than {@code limit} items, waiting for the writer
     * to take a batch until {@code deadline} ({@code System.nanoTime()}; {@code Long.MAX_VALUE}: no
     * deadline). Returns whether it was queued.
     */
    private boolean offerWithin(LedgerItem item, int limit, long deadline) throws InterruptedException {
        return awaitProgress(() -> queue.offerIfBelowThreshold(item, limit), deadline);
    }

    /**
     * Waits on {@link #progress} until {@code done} holds (it is asked once first, and again each time
     * the writer signals, or a slice has passed) or {@code deadline} ({@code System.nanoTime()}) has
     * passed; returns whether it held.
     */
    private boolean awaitProgress(java.util.function.BooleanSupplier done, long deadline) throws InterruptedException {
        synchronized (progress) {
            waiters++;
            try {
                while (!done.getAsBoolean()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    // a slice at a time: should a wake-up be missed, the next slice looks again
                    progress.wait(Math.max(1, Math.min(WAIT_SLICE_MILLIS, TimeUnit.NANOSECONDS.toMillis(left))));
                }
                return true;
            } finally {
                waiters--;
            }
        }
    }

    private static final long WAIT_SLICE_MILLIS = 10;

    /** Wakes the callers waiting on {@link #progress}, if any. */
    private void signalProgress() {
        VarHandle.fullFence(); // what the writer took or wrote is seen before `waiters` is read
        if (waiters > 0) {
            synchronized (progress) {
                progress.notifyAll();
            }
        }
    }

    /**
     * Whether accepting one more event could leave an event unwritten for longer than ledgerMaxLag
     * (when set): the oldest unwritten event's age, plus the time the writer needs for what is queued
     * at the rate it has been committing, passes the bound. (The age alone is not enough: a queue
     * filled within the bound can take far longer than the bound to write.)
     */
    private boolean lagOverBound() {
        Duration max = settings.maxLag();
        if (max == null) {
            return false;
        }
        long since = writingSince;
        long lag = since == NO_BATCH ? 0 : clock.millis() - since;
        double rate = eventsPerMilli;
        double backlog = rate > 0 ? (enqueued.sum() - taken.sum()) / rate : 0;
        return lag + backlog > max.toMillis();
    }

    /** Under BLOCK, waits up to the block timeout for the lag to fall within its bound. */
    private boolean awaitLag() {
        if (settings.overflowPolicy() == LedgerOverflowPolicy.REJECT) {
            return false;
        }
        try {
            return awaitProgress(
                    () -> !lagOverBound(),
                    System.nanoTime() + settings.blockTimeout().toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Returns when every event queued before the call is written, or could not be. */
    void flush() {
        if (writer == null) {
            return;
        }
        if (!writer.isAlive()) {
            if (!queue.isEmpty()) {
                throw new IllegalStateException(
                        "the ledger writer has stopped with " + queue.size() + " events queued");
            }
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        pendingFlushes.incrementAndGet(); // before the marker can be taken: never negative
        try {
            offerWithin(new FlushMarker(done), Integer.MAX_VALUE, Long.MAX_VALUE);
        } catch (InterruptedException e) {
            pendingFlushes.decrementAndGet(); // not queued
            Thread.currentThread().interrupt();
            return;
        }
        wakeWriter();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    LedgerStats stats(long refusalsNotTraced) {
        long since = writingSince;
        long waiting = Math.max(0, enqueued.sum() - taken.sum());
        Duration lag = since == NO_BATCH ? Duration.ZERO : Duration.ofMillis(Math.max(0, clock.millis() - since));
        return new LedgerStats(
                waiting,
                since == NO_BATCH ? 0 : writing,
                written.sum(),
                duplicates.sum(),
                refused.sum(),
                poisoned.sum(),
                failedBatches.sum(),
                lag,
                refusalsNotTraced);
    }

    /**
     * Group commit: when an event arrives at an idle writer, waits up to the flush interval for more,
     * so that under light load the writer commits a batch every interval instead of a transaction per
     * event, each of which would take a core from the callers. (Under sustained load the queue is not
     * empty when a commit ends, and the writer goes straight on.) The wait ends early when a batch is
     * full, on a flush, and on close. It adds at most the interval to the ledger's lag: ledgerMaxLag
     * caps it at a quarter of itself.
     */
    private void lingerForBatch() {
        long deadline = System.nanoTime() + lingerNanos;
        writerState = LINGERING;
        try {
            while (!stopping && pendingFlushes.get() == 0 && !batchFull()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        } finally {
            writerState = BUSY;
        }
    }

    /**
     * Writes everything queued and stops the writer. Waits up to the close
     * timeout; what could not be written by then is counted and logged as lost.
     */
    void close() {
        if (writer == null) {
            return;
        }
        stopping = true;
        // ends an idle writer's wait for the first event (and, unparked, its wait for a batch to fill)
        pendingFlushes.incrementAndGet();
        if (!queue.offer(new FlushMarker(new CountDownLatch(1)))) { // the queue's slack above the capacity
            pendingFlushes.decrementAndGet(); // a full queue: the writer is not idle
        }
        wakeWriter();
        try {
            writer.join(settings.closeTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            writer.interrupt();
            long lost = Math.max(0, enqueued.sum() - taken.sum());
            LOG.error(
                    "TokenKeeper ledger: {} usage events could not be written within {} and are lost",
                    lost,
                    settings.closeTimeout());
        }
    }

    private void runWriter() {
        try (WriterSession session = storage.openWriterSession()) {
            runWriter(session);
        }
    }

    /**
     * Waits up to {@code millis} for an event (or a marker) and takes it; {@code null} if none came. A
     * caller that queues one meanwhile wakes the writer ({@link #wakeIfWaiting}).
     */
    private @Nullable LedgerItem awaitEvent(long millis) throws InterruptedException {
        writerState = IDLE; // before looking at the queue: a caller that queues after this wakes the writer
        try {
            LedgerItem first = queue.poll();
            if (first == null) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(millis));
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                first = queue.poll();
            }
            return first;
        } finally {
            writerState = BUSY;
        }
    }

    private void runWriter(WriterSession session) {
        List<LedgerItem> items = new ArrayList<>(settings.batchSize());
        // an idle writer looks at `stopping` at least once a second, should close()'s marker not fit
        long idleMillis = Math.min(settings.flushInterval().toMillis(), 1_000);
        // whether the last round took a batch: events already waiting then mean sustained load
        boolean afterBatch = false;
        while (true) {
            try {
                LedgerItem first = queue.poll();
                boolean sustained = first != null && afterBatch;
                if (first == null) {
                    if (stopping) {
                        return; // everything queued is written
                    }
                    session.idle(); // upkeep held back while the writer was busy (SQLite's checkpoint)
                    first = awaitEvent(idleMillis);
                }
                if (first == null) {
                    afterBatch = false;
                    if (stopping && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                afterBatch = true;
                items.add(first);
                if (first instanceof LedgerItem.Event e) {
                    writingSince = e.queuedAt(); // for the lag, while the writer waits for its batch to fill
                }
                if (!sustained && !(first instanceof FlushMarker)) {
                    // light load: a batch per interval rather than a transaction per event
                    lingerForBatch();
                }
                queue.drain(items::add, settings.batchSize() - 1);
                signalProgress(); // room in the queue
                try {
                    List<Pending> rows = new ArrayList<>(items.size());
                    for (LedgerItem i : items) {
                        if (i instanceof Pending p) {
                            rows.add(p);
                        } else if (i instanceof Settled e) {
                            Pending p = resolve(e);
                            if (p != null) {
                                rows.add(p);
                            }
                        }
                    }
                    if (!rows.isEmpty()) {
                        // counted as in commit before they stop counting as queued: never as neither
                        writing = rows.size();
                        writingSince = rows.get(0).queuedAt();
                        taken.add(rows.size());
                        long started = System.nanoTime();
                        writeBatch(session, rows);
                        double batchRate = rows.size() / Math.max(1e-3, (System.nanoTime() - started) / 1e6);
                        // the writer's recent rate (events per ms of commit), for ledgerMaxLag's backlog
                        eventsPerMilli = eventsPerMilli == 0 ? batchRate : 0.8 * eventsPerMilli + 0.2 * batchRate;
                    }
                } finally {
                    writingSince = NO_BATCH;
                    writing = 0;
                    signalProgress(); // the lag fell
                    for (LedgerItem i : items) {
                        if (i instanceof FlushMarker m) {
                            pendingFlushes.decrementAndGet();
                            m.done().countDown();
                        }
                    }
                    items.clear();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("TokenKeeper ledger writer: unexpected failure; continuing", e);
            }
        }
    }

    /**
     * A permit's event with its row (see {@link Settled#resolve}); or, should the row not be made, which
     * no checked event can cause, {@code null}, with what the event counted taken back, as for an event
     * that cannot be stored.
     */
    private @Nullable Pending resolve(Settled e) {
        try {
            return e.resolve(recent);
        } catch (RuntimeException ex) {
            taken.increment(); // it leaves the queue's count, as a written event does
            drop(e);
            LOG.error(
                    "TokenKeeper ledger: the event of request {} (tenant {}) cannot be stored and was dropped: {}",
                    e.facts().requestId(),
                    e.facts().tenantId(),
                    ex.toString());
            return null;
        }
    }

    /**
     * Counts an event that cannot be stored and takes back what it counted: its usage on the budget
     * counters, its reservations and its lease usage.
     */
    private void drop(LedgerItem.Event e) {
        poisoned.increment();
        if (e.counted()) {
            budgets.add(e.charges(), -1);
        }
        budgets.releaseReservations(e.reservations());
        budgets.leaseUsage(e.leaseUses(), false);
    }

    /**
     * Writes the batch: retried while the database is unavailable; retried once more when the
     * database answers (a transient conflict); then split, to isolate the events that cannot be
     * stored, which are dropped, counted and logged in one line for the batch.
     */
    private void writeBatch(WriterSession session, List<Pending> rows) throws InterruptedException {
        List<Pending> dropped = new ArrayList<>();
        String[] firstError = new String[1];
        writeUntilDone(session, rows, dropped, firstError);
        if (!dropped.isEmpty()) {
            StringBuilder ids = new StringBuilder();
            for (int i = 0; i < Math.min(5, dropped.size()); i++) {
                UsageRow r = dropped.get(i).row();
                ids.append(i == 0 ? "" : ", ")
                        .append(r.id())
                        .append(" (tenant ")
                        .append(r.tenantId())
                        .append(')');
            }
            LOG.error(
                    "TokenKeeper ledger: {} of {} events of a batch cannot be stored and were dropped ({}{}): {}",
                    dropped.size(),
                    rows.size(),
                    ids,
                    dropped.size() > 5 ? ", ..." : "",
                    firstError[0]);
        }
    }

    private void writeUntilDone(WriterSession session, List<Pending> rows, List<Pending> dropped, String[] firstError)
            throws InterruptedException {
        long backoff = 50;
        int failuresWhileUp = 0;
        while (true) {
            try {
                write(session, rows);
                return;
            } catch (RuntimeException e) {
                failedBatches.increment();
                boolean up = storage.health().up();
                if (up && ++failuresWhileUp >= 2) {
                    // The database answers and the batch failed twice: the batch itself is at fault.
                    if (rows.size() == 1) {
                        Pending p = rows.get(0);
                        drop(p);
                        dropped.add(p);
                        if (firstError[0] == null) {
                            firstError[0] = e.getMessage();
                        }
                        return;
                    }
                    int mid = rows.size() / 2;
                    writeUntilDone(session, rows.subList(0, mid), dropped, firstError);
                    writeUntilDone(session, rows.subList(mid, rows.size()), dropped, firstError);
                    return;
                }
                if (up) {
                    // The database answers: retry once at once (a conflict passes); no wait, or a batch of
                    // events that all fail would take a wait per event to be taken apart. Only the whole
                    // batch's first failure is a warning; its parts' are details.
                    if (dropped.isEmpty() && firstError[0] == null) {
                        LOG.warn(
                                "TokenKeeper ledger: writing {} events failed; retrying once: {}",
                                rows.size(),
                                e.getMessage());
                        firstError[0] = e.getMessage();
                    } else {
                        LOG.debug(
                                "TokenKeeper ledger: writing {} events failed; retrying once: {}",
                                rows.size(),
                                e.getMessage());
                    }
                    continue;
                }
                LOG.warn(
                        "TokenKeeper ledger: writing {} events failed, retrying in {} ms: {}",
                        rows.size(),
                        backoff,
                        e.getMessage());
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }

    /** One transaction: the events (skipping those already recorded) and the roll-ups of the new ones. */
    @SuppressWarnings("ArrayRecordComponent") // a transaction's result, read once, never compared
    private record Committed(boolean[] inserted, List<LimitAlert> alerts) {}

    private void write(WriterSession session, List<Pending> items) {
        List<UsageRow> rows = new ArrayList<>(items.size());
        for (Pending p : items) {
            rows.add(p.row());
        }
        Committed committed = session.write(tx -> {
            boolean[] inserted = storage.usage().insertEvents(tx, rows);
            Map<HourlyRollup.Key, HourlyRollup.Sums> sums = new HashMap<>();
            TreeMap<LimitCharge.Key, Long> counters = new TreeMap<>();
            for (int i = 0; i < inserted.length; i++) {
                if (inserted[i]) {
                    UsageRow row = rows.get(i);
                    if (!DENIED.equals(row.outcome())) { // refusals are traces only: analytics count calls made
                        sums.computeIfAbsent(HourlyRollup.Key.of(row), k -> new HourlyRollup.Sums())
                                .add(row);
                    }
                    for (LimitCharge c : items.get(i).charges()) {
                        counters.merge(c.key(), c.units(), Long::sum);
                    }
                }
            }
            List<HourlyRollup> increments = new ArrayList<>(sums.size());
            sums.forEach((key, sum) -> increments.add(sum.toRollup(key)));
            storage.usage().addToRollups(tx, increments);
            // usage taken from leases leaves them (the counters' reserved and the lease rows)
            List<Budgets.LeaseUse> leaseUses = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                if (inserted[i]) {
                    leaseUses.addAll(items.get(i).leaseUses());
                }
            }
            List<String> reservations = new ArrayList<>();
            for (Pending p : items) {
                reservations.addAll(p.reservations()); // the usage below replaces them
            }
            Map<LimitCharge.Key, Long> totals = budgets.commitUsage(tx, counters, leaseUses, reservations);
            return new Committed(inserted, limitAlerts.crossings(tx, counters, totals));
        });
        limitAlerts.announce(committed.alerts());
        boolean[] ok = committed.inserted();
        int n = 0;
        for (int i = 0; i < ok.length; i++) {
            budgets.leaseUsage(items.get(i).leaseUses(), ok[i]);
            if (ok[i]) {
                n++;
            } else if (items.get(i).counted()) {
                // stored before (by another instance, or before a restart): take back what was counted
                budgets.add(items.get(i).charges(), -1);
            }
        }
        written.add(n);
        duplicates.add(rows.size() - n);
    }
}
