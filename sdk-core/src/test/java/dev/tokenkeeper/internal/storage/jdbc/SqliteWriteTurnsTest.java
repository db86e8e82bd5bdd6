package dev.tokenkeeper.internal.storage.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteWriteTurnsTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("on SQLite, this process's writers take turns in the order they asked, none starved")
    void writersTakeTurnsInOrder() throws Exception {
        var pool = DataSources.sqlite(dir.resolve("turns.db"), 8);
        JdbcStorage storage = JdbcStorage.create(pool, pool);
        try {
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = new Thread(() -> storage.write(tx -> {
                holding.countDown();
                await(release);
                return null;
            }));
            holder.start();
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            List<Integer> order = new CopyOnWriteArrayList<>();
            List<Thread> waiting = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                Thread t = new Thread(() -> storage.write(tx -> {
                    // a real write, so that SQLite's own lock is taken too
                    storage.settings().insertIfAbsent(tx, "turn-" + n, "x");
                    order.add(n);
                    return null;
                }));
                t.start();
                awaitParked(t); // queued behind the holder before the next one asks
                waiting.add(t);
            }
            release.countDown();
            holder.join(10_000);
            for (Thread t : waiting) {
                t.join(10_000);
            }
            assertThat(order).containsExactly(0, 1, 2, 3, 4);
        } finally {
            storage.close();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until {@code t} parks (queued on a lock); a thread in SQLite's busy handler never does. */
    private static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.WAITING) {
            assertThat(System.nanoTime()).as("writer did not queue").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
