package dev.tokenkeeper;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.internal.storage.jdbc.DataSources;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Storage contract on SQLite")
class SqliteContractTest extends TokenKeeperContract {
    @TempDir
    static Path dir;

    private static HikariDataSource pool;

    @BeforeAll
    static void start() {
        pool = DataSources.sqlite(dir.resolve("contract.db"), 4);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @Override
    protected DataSource database() {
        return pool;
    }

    @Override
    protected StorageBackend expectedBackend() {
        return StorageBackend.SQLITE;
    }
}
