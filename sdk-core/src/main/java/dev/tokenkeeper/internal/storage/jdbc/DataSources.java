package dev.tokenkeeper.internal.storage.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** Connection pools that TokenKeeper creates (and closes) itself. */
public final class DataSources {
    /** How long a SQLite writer waits for the database's write lock before it fails. */
    static final Duration SQLITE_BUSY_TIMEOUT = Duration.ofSeconds(10);

    private DataSources() {}

    /**
     * An embedded SQLite file, created with its folder on first use. WAL journal (readers do not block
     * the writer), {@code synchronous=NORMAL} (durable at checkpoints, safe against corruption),
     * foreign keys on, a busy timeout instead of immediate SQLITE_BUSY errors, and write transactions
     * that take the write lock at BEGIN, which rules out lock-upgrade deadlocks.
     */
    public static HikariDataSource sqlite(Path file, int poolSize) {
        Path absolute = file.toAbsolutePath();
        try {
            if (absolute.getParent() != null) {
                Files.createDirectories(absolute.getParent());
            }
        } catch (IOException e) {
            throw new StorageException(
                    "cannot create the folder of the SQLite file " + absolute + ": " + e.getMessage(), e);
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("tokenkeeper-sqlite");
        config.setJdbcUrl("jdbc:sqlite:" + absolute);
        config.setMaximumPoolSize(poolSize);
        config.addDataSourceProperty("journal_mode", "WAL");
        config.addDataSourceProperty("synchronous", "NORMAL");
        config.addDataSourceProperty("foreign_keys", "true");
        config.addDataSourceProperty("busy_timeout", Long.toString(SQLITE_BUSY_TIMEOUT.toMillis()));
        config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
        return open(config);
    }

    /** A pool for a JDBC URL (PostgreSQL in production). */
    public static HikariDataSource jdbc(String url, @Nullable String user, @Nullable String password, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("tokenkeeper");
        config.setJdbcUrl(url);
        if (user != null) {
            config.setUsername(user);
        }
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(poolSize);
        return open(config);
    }

    private static HikariDataSource open(HikariConfig config) {
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StorageException("cannot open the database: " + e.getMessage(), e);
        }
    }
}
