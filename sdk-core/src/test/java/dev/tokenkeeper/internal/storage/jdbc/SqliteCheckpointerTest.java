package dev.tokenkeeper.internal.storage.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.internal.storage.WriterSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteCheckpointerTest {
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;
    private static final String ONE_KIB = "x".repeat(KIB);

    @TempDir
    Path dir;

    /** The checkpointer's clock, moved by the tests. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private JdbcStorage open(String name) {
        var pool = DataSources.sqlite(dir.resolve(name), 4);
        return JdbcStorage.create(pool, pool, Thread::new, nanos::get);
    }

    @Test
    @DisplayName("on SQLite, a writer session's commits are checkpointed when it goes idle, on its own thread")
    void busySessionCheckpointsWhenIdle() throws Exception {
        JdbcStorage storage = open("idle.db");
        Path file = dir.resolve("idle.db");
        try (WriterSession writer = storage.openWriterSession()) {
            SqliteCheckpointer checkpointer = storage.checkpointer();
            long before = Files.size(file);
            // 2 MiB: far below the writer connection's own automatic checkpoint
            writeMiB(storage, writer, "a", 2);
            // a commit outside the session would wake the checkpointer's thread, were the session not busy
            storage.write(tx -> storage.settings().insertIfAbsent(tx, "pooled", "x"));
            assertThat(checkpointer.checkpoints()).isZero();
            assertThat(Files.size(file)).isEqualTo(before);

            writer.idle();

            assertThat(checkpointer.checkpoints()).isEqualTo(1);
            assertThat(checkpointer.lastThread()).isSameAs(Thread.currentThread());
            assertThat(Files.size(file)).isGreaterThanOrEqualTo(before + 2 * MIB);
        } finally {
            storage.close();
        }
    }

    @Test
    @DisplayName("on SQLite, a writer session busy for a second checkpoints after its next commit")
    void busySessionCheckpointsAfterBusyPace() {
        JdbcStorage storage = open("busy.db");
        try (WriterSession writer = storage.openWriterSession()) {
            SqliteCheckpointer checkpointer = storage.checkpointer();
            writeMiB(storage, writer, "a", 1);
            // the checkpointer starts as if its last checkpoint began PACE ago: one is due at the first commit
            nanos.addAndGet(SqliteCheckpointer.BUSY_PACE.toNanos() - SqliteCheckpointer.PACE.toNanos() - 1);
            writeMiB(storage, writer, "b", 1);
            assertThat(checkpointer.checkpoints()).isZero();

            nanos.addAndGet(1);
            writeMiB(storage, writer, "c", 1);

            assertThat(checkpointer.checkpoints()).isEqualTo(1);
            assertThat(checkpointer.lastThread()).isSameAs(Thread.currentThread());
        } finally {
            storage.close();
        }
    }

    @Test
    @DisplayName("on SQLite, a commit outside a writer session is checkpointed on the checkpointer's thread")
    void pooledCommitCheckpointedInBackground() throws Exception {
        JdbcStorage storage = open("pooled.db");
        Path file = dir.resolve("pooled.db");
        try {
            SqliteCheckpointer checkpointer = storage.checkpointer();
            long before = Files.size(file);
            storage.write(tx -> {
                for (int i = 0; i < 2 * KIB; i++) {
                    storage.settings().insertIfAbsent(tx, "p-" + i, ONE_KIB);
                }
                return null;
            });
            // the time bound only stops a broken build
            assertThat(checkpointer.awaitCheckpointsBeyond(0, Duration.ofMinutes(1)))
                    .isTrue();
            assertThat(checkpointer.lastThread())
                    .isNotNull()
                    .extracting(Thread::getName)
                    .isEqualTo("tokenkeeper-sqlite-checkpoint");
            assertThat(Files.size(file)).isGreaterThanOrEqualTo(before + 2 * MIB);
        } finally {
            storage.close();
        }
    }

    @Test
    @DisplayName(
            "on SQLite, a session idle again within 50 ms of a checkpoint leaves the next to the checkpointer's thread, 50 ms on")
    void idleWithinPaceDefersToThread() throws Exception {
        JdbcStorage storage = open("pace.db");
        try (WriterSession writer = storage.openWriterSession()) {
            SqliteCheckpointer checkpointer = storage.checkpointer();
            writeMiB(storage, writer, "a", 1);
            writer.idle();
            assertThat(checkpointer.checkpoints()).isEqualTo(1);
            writeMiB(storage, writer, "b", 1);
            writer.idle();
            assertThat(checkpointer.checkpoints()).isEqualTo(1);

            nanos.addAndGet(SqliteCheckpointer.PACE.toNanos());

            // the time bound only stops a broken build
            assertThat(checkpointer.awaitCheckpointsBeyond(1, Duration.ofMinutes(1)))
                    .isTrue();
            assertThat(checkpointer.lastThread())
                    .isNotNull()
                    .extracting(Thread::getName)
                    .isEqualTo("tokenkeeper-sqlite-checkpoint");
        } finally {
            storage.close();
        }
    }

    @Test
    @DisplayName("on SQLite, the log rewinds while a writer commits without pause")
    void logStaysBoundedUnderSustainedWrites() throws Exception {
        Path file = dir.resolve("rewind.db");
        var pool = DataSources.sqlite(file, 4);
        JdbcStorage storage = JdbcStorage.create(pool, pool);
        Path log = dir.resolve("rewind.db-wal");
        long largest = 0;
        try (WriterSession writer = storage.openWriterSession()) {
            for (int i = 0; i < 50; i++) {
                writeMiB(storage, writer, "t" + i, 1);
                largest = Math.max(largest, sizeOf(log));
            }
        } finally {
            storage.close();
        }
        // 50 MiB went through the log; it holds the writer's checkpoint threshold plus about a transaction
        long threshold = (long) SqliteCheckpointer.WRITER_AUTOCHECKPOINT_PAGES * (4 * KIB + 24);
        assertThat(largest).isGreaterThan(0).isLessThan(threshold + 8L * MIB);
    }

    private static void writeMiB(JdbcStorage storage, WriterSession writer, String prefix, int mib) {
        writer.write(tx -> {
            for (int i = 0; i < mib * KIB; i++) {
                storage.settings().insertIfAbsent(tx, prefix + "-" + i, ONE_KIB);
            }
            return null;
        });
    }

    private static long sizeOf(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }
}
