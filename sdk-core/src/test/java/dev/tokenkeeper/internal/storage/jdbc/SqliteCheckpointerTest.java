package dev.tokenkeeper.internal.storage.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.internal.storage.WriterSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteCheckpointerTest {
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;
    private static final String ONE_KIB = "x".repeat(KIB);

    @TempDir
    Path dir;

    @Test
    @DisplayName("on SQLite, a writer's commit reaches the database file without the writer checkpointing it")
    void commitsAreCheckpointedOffTheWriter() throws Exception {
        Path file = dir.resolve("checkpoint.db");
        var pool = DataSources.sqlite(file, 4);
        JdbcStorage storage = JdbcStorage.create(pool, pool);
        try (WriterSession writer = storage.openWriterSession()) {
            long before = Files.size(file);
            SqliteCheckpointer checkpointer = storage.checkpointer();
            long done = checkpointer.checkpoints();
            // 2 MiB: far below the writer connection's own automatic checkpoint
            writeMiB(storage, writer, "a", 2);
            // the checkpointer's thread signals each checkpoint; one that began before the commit may come
            // first, and the commit's own follows it (the time bound only stops a broken build)
            for (int i = 0; Files.size(file) < before + 2 * MIB; i++) {
                assertThat(i)
                        .as("the committed pages never reached the database file")
                        .isLessThan(3);
                assertThat(checkpointer.awaitCheckpointsBeyond(done, Duration.ofMinutes(1)))
                        .isTrue();
                done = checkpointer.checkpoints();
            }
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
