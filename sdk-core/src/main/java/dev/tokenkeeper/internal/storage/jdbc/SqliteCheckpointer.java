package dev.tokenkeeper.internal.storage.jdbc;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies SQLite's write-ahead log into the database file on a thread of its own, so that the ledger
 * writer does not.
 *
 * <p>By default SQLite checkpoints inside the commit that takes the log past 1,000 pages; a ledger
 * batch of 10,000 events is about that size, so the writer paid for a checkpoint (copying its pages
 * again and two syncs) on nearly every batch. Here a {@code PASSIVE} checkpoint runs after commits,
 * at most once per {@link #PACE}, while the writer goes on with its next batch. A passive checkpoint
 * never blocks writers or readers.
 *
 * <p>SQLite rewinds the log only when a write transaction begins on a fully copied log. A writer that
 * commits without pause would rarely find one, so its connection keeps an automatic checkpoint at
 * {@link #WRITER_AUTOCHECKPOINT_PAGES}: when it fires, most frames are copied already, it finishes
 * the rest, and the next transaction rewinds the log. The log therefore stays under about that many
 * pages plus one batch.
 *
 * <p>With {@code synchronous=NORMAL} a commit reaches the disk at the next checkpoint, so this also
 * bounds what an operating-system crash or power cut can take to about {@link #PACE} after the last
 * commit, where SQLite alone would wait for 1,000 pages of log. A crash of the process loses nothing
 * either way.
 */
final class SqliteCheckpointer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteCheckpointer.class);

    /** The shortest time between two checkpoints. */
    static final Duration PACE = Duration.ofMillis(50);

    /** The automatic checkpoint of the ledger writer's connection, in pages (4 KiB each by default). */
    static final int WRITER_AUTOCHECKPOINT_PAGES = 8_000;

    private final Jdbi jdbi;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile @Nullable String lastFailure;
    /** Checkpoints completed; a waiter is told of each ({@link #awaitCheckpointsBeyond}). */
    private long completed;

    SqliteCheckpointer(Jdbi jdbi) {
        this.jdbi = jdbi;
        this.thread = new Thread(this::run, "tokenkeeper-sqlite-checkpoint");
        thread.setDaemon(true);
        thread.start();
    }

    /** Tells the checkpointer that a transaction committed: the log holds frames to copy. */
    void committed() {
        if (!pending.getAndSet(true)) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        while (running) {
            if (!pending.getAndSet(false)) {
                LockSupport.park(this);
                continue;
            }
            checkpoint();
            // Commits meanwhile wait for the next round: a commit's unpark does not cut the pause short.
            long until = System.nanoTime() + PACE.toNanos();
            for (long left = PACE.toNanos(); running && left > 0; left = until - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
            }
        }
    }

    private void checkpoint() {
        try {
            jdbi.useHandle(h ->
                    h.createQuery("PRAGMA wal_checkpoint(PASSIVE)").mapToMap().list());
            lastFailure = null;
            synchronized (this) {
                completed++;
                notifyAll();
            }
        } catch (RuntimeException e) {
            // The next commit asks again; SQLite's own automatic checkpoint still bounds the log.
            String message = String.valueOf(e.getMessage());
            if (running && !message.equals(lastFailure)) {
                LOG.warn("TokenKeeper could not checkpoint the SQLite log: {}", message);
            }
            lastFailure = message;
        }
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
