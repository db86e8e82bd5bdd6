package dev.tokenkeeper.app.accounts;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.StorageBackend;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.spring.TokenKeeperProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * The app's own tables ({@code app_*}: users, sessions, refresh tokens, settings), in the keeper's
 * database: the same SQLite file or PostgreSQL database, reached through a small pool of the app's
 * own (or the application's {@code DataSource} when the keeper uses it too). Migrated by Flyway with
 * its own history table, {@code app_flyway_history}, beside the keeper's.
 */
@Component
public class AppDatabase implements DisposableBean {
    static final String HISTORY_TABLE = "app_flyway_history";

    private final @Nullable HikariDataSource ownPool;
    private final Jdbi jdbi;
    private final boolean postgres;

    public AppDatabase(TokenKeeper keeper, TokenKeeperProperties props, ObjectProvider<DataSource> appDataSource) {
        // the keeper is built (and its schema migrated) first: it is a constructor argument
        TokenKeeperProperties.Storage s = props.storage();
        this.postgres = keeper.backend() == StorageBackend.POSTGRESQL;
        DataSource dataSource;
        if (s.useApplicationDataSource()) {
            ownPool = null;
            dataSource = appDataSource.getObject();
        } else if (s.jdbcUrl() != null && !s.jdbcUrl().isBlank()) {
            HikariConfig c = new HikariConfig();
            c.setPoolName("tokenkeeper-app");
            c.setJdbcUrl(s.jdbcUrl());
            if (s.username() != null) {
                c.setUsername(s.username());
            }
            if (s.password() != null) {
                c.setPassword(s.password());
            }
            c.setMaximumPoolSize(4);
            ownPool = new HikariDataSource(c);
            dataSource = ownPool;
        } else {
            ownPool = sqlite(s.sqliteFile());
            dataSource = ownPool;
        }
        try {
            Flyway.configure(AppDatabase.class.getClassLoader())
                    .dataSource(dataSource)
                    .locations("classpath:dev/tokenkeeper/app/db/migration")
                    .table(HISTORY_TABLE)
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            if (ownPool != null) {
                ownPool.close();
            }
            throw e;
        }
        this.jdbi = Jdbi.create(dataSource);
    }

    /**
     * The same settings as the keeper's own SQLite pool: WAL, a busy timeout, foreign keys, and write
     * transactions that take the lock at BEGIN, so the two pools queue for the one writer.
     */
    private static HikariDataSource sqlite(Path file) {
        Path absolute = file.toAbsolutePath();
        try {
            if (absolute.getParent() != null) {
                Files.createDirectories(absolute.getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HikariConfig c = new HikariConfig();
        c.setPoolName("tokenkeeper-app-sqlite");
        c.setJdbcUrl("jdbc:sqlite:" + absolute);
        c.setMaximumPoolSize(2);
        c.addDataSourceProperty("journal_mode", "WAL");
        c.addDataSourceProperty("synchronous", "NORMAL");
        c.addDataSourceProperty("foreign_keys", "true");
        c.addDataSourceProperty("busy_timeout", "10000");
        c.addDataSourceProperty("transaction_mode", "IMMEDIATE");
        return new HikariDataSource(c);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** Whether the database is PostgreSQL (otherwise SQLite). */
    public boolean postgres() {
        return postgres;
    }

    @Override
    public void destroy() {
        if (ownPool != null) {
            ownPool.close();
        }
    }
}
