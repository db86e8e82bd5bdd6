package dev.tokenkeeper.internal.storage.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.WriterSession;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteWriterSessionTest {
    private static final List<String> SETTINGS = List.of("cache_size", "wal_autocheckpoint", "temp_store");

    @TempDir
    Path dir;

    @Test
    @DisplayName(
            "on SQLite, the ledger writer's connection keeps its scratch in memory and a large cache, and goes back to the pool as it came")
    void writerSettingsStayWithTheSession() {
        // one connection: the reads before and after the session use the one the session had
        var pool = DataSources.sqlite(dir.resolve("session.db"), 1);
        JdbcStorage storage = JdbcStorage.create(pool, pool);
        try {
            List<Long> pooled = storage.read(SqliteWriterSessionTest::settings);
            assertThat(pooled.get(2)).as("temp_store by default").isZero();
            try (WriterSession writer = storage.openWriterSession()) {
                List<Long> inSession = writer.write(tx -> {
                    storage.settings().insertIfAbsent(tx, "k", "v");
                    return settings(tx);
                });
                assertThat(inSession)
                        .containsExactly(
                                (long) -JdbcStorage.WRITER_CACHE_KIB,
                                (long) SqliteCheckpointer.WRITER_AUTOCHECKPOINT_PAGES,
                                2L); // MEMORY
            }
            assertThat(storage.read(SqliteWriterSessionTest::settings)).isEqualTo(pooled);
            java.util.Optional<String> stored =
                    storage.read(tx -> storage.settings().find(tx, "k"));
            assertThat(stored).contains("v");
        } finally {
            storage.close();
        }
    }

    private static List<Long> settings(StorageTx tx) {
        return SETTINGS.stream()
                .map(name -> JdbcTx.of(tx)
                        .createQuery("PRAGMA " + name)
                        .mapTo(Long.class)
                        .one())
                .toList();
    }
}
