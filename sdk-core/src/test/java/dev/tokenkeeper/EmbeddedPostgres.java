package dev.tokenkeeper;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * One embedded PostgreSQL server per JVM (started on first use, stopped at exit), and a fresh
 * database per caller.
 */
public final class EmbeddedPostgres {
    private static io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;

    private EmbeddedPostgres() {}

    private static synchronized io.zonky.test.db.postgres.embedded.EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // exiting anyway
                }
            }));
        }
        return server;
    }

    /** A pool on a new, empty database. */
    public static HikariDataSource freshDatabase() {
        String name = "tk_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection c = server().getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server().getJdbcUrl("postgres", name));
        config.setMaximumPoolSize(10);
        return new HikariDataSource(config);
    }
}
