package dev.tokenkeeper;

import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

@DisplayName("Storage contract on PostgreSQL")
class PostgresContractIT extends TokenKeeperContract {
    private static HikariDataSource pool;

    @BeforeAll
    static void start() {
        pool = EmbeddedPostgres.freshDatabase();
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
        return StorageBackend.POSTGRESQL;
    }
}
