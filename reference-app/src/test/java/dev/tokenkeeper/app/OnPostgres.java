package dev.tokenkeeper.app;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * One embedded PostgreSQL server for this JVM's app tests, stopped at exit; the app's classes run
 * on it by subclassing their SQLite test and adding {@link #storage}. (A JDBC URL wins over the
 * SQLite file in the starter's configuration.)
 */
final class OnPostgres {
    private static EmbeddedPostgres server;

    private OnPostgres() {}

    static synchronized void storage(DynamicPropertyRegistry r) {
        storage(r, "postgres");
    }

    /**
     * The app on a database of its own on the one server: for a test class whose context runs on a
     * clock of its own, whose events must not mix with the other classes'.
     */
    static synchronized void storage(DynamicPropertyRegistry r, String database) {
        String url = jdbcUrl(database);
        r.add("tokenkeeper.storage.jdbc-url", () -> url);
        r.add("tokenkeeper.storage.username", () -> "postgres");
    }

    /** The JDBC URL of a database of that name on the one server (user {@code postgres}), created when missing. */
    static synchronized String jdbcUrl(String database) {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().start();
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
        if (!database.equals("postgres")) {
            try (java.sql.Connection c = server.getPostgresDatabase().getConnection();
                    java.sql.Statement st = c.createStatement()) {
                boolean exists;
                try (java.sql.ResultSet rs =
                        st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
                    exists = rs.next();
                }
                if (!exists) {
                    st.execute("CREATE DATABASE " + database);
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        return server.getJdbcUrl("postgres", database);
    }
}
