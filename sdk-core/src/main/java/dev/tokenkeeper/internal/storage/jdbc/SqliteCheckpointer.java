package dev.tokenkeeper.internal.storage.jdbc;

import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies SQLite's write-ahead log into the database file, off the ledger writer's commits and never
 * beside the writer's own work.
 *
 * <p>By default SQLite checkpoints inside the commit that takes the log past 1,000 pages; a ledger
 * batch of 10,000 events is about that size, so the writer paid for a checkpoint (copying its pages
 * again and two syncs) on nearly every batch. Here a {@code PASSIVE} checkpoint runs after commits,
 * at most once per {@link #PACE}. A passive checkpoint never blocks writers or readers.
 *
 * <p>It runs when the ledger's writer has nothing queued: on the writer's own thread as its session
 * goes idle ({@link #sessionIdle}), or on this class's thread after commits made outside a writer
 * session, while no session is busy. A checkpoint on a thread of its own while the writer commits
 * would make three busy threads (a caller, the writer, the checkpointer) where a two-core machine has
 * two, and callers would wait for a core: on two cores, a burst of 10,000 admissions cost its caller
 * about 28 % less with the checkpoints moved out of the writer's busy time (docs/performance.md). So
 * the ledger's background work takes one core at most. A session busy for longer than {@link
 * #BUSY_PACE} checkpoints after its commit, on its own thread.
 *
 * <p>SQLite rewinds the log only when a write transaction begins on a fully copied log. A writer that
 * commits without pause would rarely find one, so its connection keeps an automatic checkpoint at
 * {@link #WRITER_AUTOCHECKPOINT_PAGES}: when it fires, it copies what is left, and the next
 * transaction rewinds the log. The log therefore stays under about that many pages plus one batch.
 *
 * <p>With {@code synchronous=NORMAL} a commit reaches the disk at the next checkpoint, so this also
 * bounds what an operating-system crash or power cut can take: about {@link #PACE} after the writer
 * goes idle, {@link #BUSY_PACE} while it stays busy, where SQLite alone would wait for 1,000 pages of
 * log. A crash of the process loses nothing either way.
 */
final class SqliteCheckpointer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteCheckpointer.class);

    /** The shortest time between two checkpoints. */
    static final Duration PACE = Duration.ofMillis(50);

    /** The longest time between two checkpoints while a writer session stays busy. */
    static final Duration BUSY_PACE = Duration.ofSeconds(1);

    /** The automatic checkpoint of the ledger writer's connection, in pages (4 KiB each by default). */
    static final int WRITER_AUTOCHECKPOINT_PAGES = 8_000;

    private final Jdbi jdbi;
    /** {@link System#nanoTime}, or a test's clock. */
    private final LongSupplier nanoTime;
    /** Commits since the last checkpoint began. */
    private final AtomicBoolean pending = new AtomicBoolean();
    /** Writer sessions that committed and have not gone idle since. */
    private final AtomicInteger busySessions = new AtomicInteger();
    /** One checkpoint at a time, whichever thread runs it. */
    private final ReentrantLock checkpointing = new ReentrantLock();

    private final Thread thread;
    private volatile boolean running = true;
    private volatile @Nullable String lastFailure;
    /** When the last checkpoint began, on {@link #nanoTime}. */
    private volatile long lastStarted;
    /** The thread that ran the last checkpoint (for tests). */
    private volatile @Nullable Thread lastThread;
    /** Checkpoints completed; a waiter is told of each ({@link #awaitCheckpointsBeyond}). */
    private long completed;

    SqliteCheckpointer(Jdbi jdbi, ThreadFactory threads, LongSupplier nanoTime) {
        this.jdbi = jdbi;
        this.nanoTime = nanoTime;
        this.lastStarted = nanoTime.getAsLong() - PACE.toNanos();
        this.thread = threads.newThread(this::run);
        thread.setName("tokenkeeper-sqlite-checkpoint");
        thread.setDaemon(true);
        thread.start();
    }

    /** Tells the checkpointer that a transaction committed: the log holds frames to copy. */
    void committed() {
        if (!pending.getAndSet(true) && busySessions.get() == 0) {
            LockSupport.unpark(thread);
        }
    }

    /** A writer session is about to commit: checkpoints wait until it goes idle (or {@link #BUSY_PACE}). */
    void sessionBusy() {
        busySessions.incrementAndGet();
    }

    /**
     * A busy writer session committed on {@code session}: checkpoints there if it has been busy so long
     * that the last checkpoint is {@link #BUSY_PACE} old.
     */
    void sessionCommitted(Handle session) {
        pending.set(true);
        if (nanoTime.getAsLong() - lastStarted >= BUSY_PACE.toNanos()) {
            checkpoint(session);
        }
    }

    /**
     * A busy writer session has nothing more to write: checkpoints on its connection now, on the
     * session's thread, if one is due; or leaves it to this class's thread once {@link #PACE} has passed.
     *
     * @param session the session's connection, or {@code null} when it is closing
     */
    void sessionIdle(@Nullable Handle session) {
        busySessions.decrementAndGet();
        if (!pending.get()) {
            return;
        }
        if (session != null && nanoTime.getAsLong() - lastStarted >= PACE.toNanos()) {
            checkpoint(session);
        } else {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        while (running) {
            if (!pending.get() || busySessions.get() > 0) {
                LockSupport.park(this); // a commit outside a session, or a session going idle, wakes it
                continue;
            }
            // Commits meanwhile wait for the next round: a commit's unpark does not cut the pause short.
            long until = lastStarted + PACE.toNanos();
            for (long left = until - nanoTime.getAsLong(); running && left > 0; left = until - nanoTime.getAsLong()) {
                LockSupport.parkNanos(this, left);
            }
            if (running && busySessions.get() == 0) {
                try {
                    jdbi.useHandle(this::checkpoint);
                } catch (RuntimeException e) { // no connection to be had
                    failed(e);
                }
            }
        }
    }

    private void checkpoint(Handle h) {
        if (!checkpointing.tryLock()) {
            return; // another thread copies the log now; `pending` stays as it is, for what it misses
        }
        try {
            pending.set(false); // before it begins: a commit from now on asks for the next one
            lastStarted = nanoTime.getAsLong();
            h.createQuery("PRAGMA wal_checkpoint(PASSIVE)").mapToMap().list();
            lastFailure = null;
            lastThread = Thread.currentThread();
            synchronized (this) {
                completed++;
                notifyAll();
            }
        } catch (RuntimeException e) {
            failed(e);
        } finally {
            checkpointing.unlock();
        }
    }

    /** The next commit asks again; SQLite's own automatic checkpoint still bounds the log. */
    private void failed(RuntimeException e) {
        String message = String.valueOf(e.getMessage());
        if (running && !message.equals(lastFailure)) {
            LOG.warn("TokenKeeper could not checkpoint the SQLite log: {}", message);
        }
        lastFailure = message;
    }

    /** The thread that ran the last checkpoint, if any ran. */
    @Nullable
    Thread lastThread() {
        return lastThread;
    }

    /** Checkpoints completed so far. */
    synchronized long checkpoints() {
        return completed;
    }

    /**
     * Waits, up to {@code max}, until more than {@code n} checkpoints completed; returns whether they
     * did. For tests, which thus wait for the checkpointer's signal instead of polling the file.
     */
    synchronized boolean awaitCheckpointsBeyond(long n, Duration max) throws InterruptedException {
        long until = System.nanoTime() + max.toNanos();
        for (long left = max.toNanos(); completed <= n; left = until - System.nanoTime()) {
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Stops the thread, letting a checkpoint under way finish; the pool's last connection checkpoints at close. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
