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
        String url = server.getJdbcUrl("postgres", "postgres");
        r.add("tokenkeeper.storage.jdbc-url", () -> url);
        r.add("tokenkeeper.storage.username", () -> "postgres");
    }
}
