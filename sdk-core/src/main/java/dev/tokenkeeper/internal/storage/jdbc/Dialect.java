package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.StorageBackend;
import dev.tokenkeeper.TokenKeeperException;
import java.util.Locale;

/**
 * Which of the two backends a store talks to. Most SQL is written once, in the subset both
 * understand (row values, {@code ON CONFLICT DO NOTHING}, {@code LIMIT}); each dialect has its own
 * migration folder for the scripts that cannot be shared (triggers). The stores still branch on the
 * dialect where the backends differ in what is fast or possible: the bulk insert of usage events
 * ({@code COPY} and multi-row {@code VALUES}, in {@link JdbcUsageStore}), the counter upsert and
 * row locks ({@code FOR UPDATE}, in {@link JdbcLimitStore}), and connection set-up in
 * {@link JdbcStorage}.
 */
public enum Dialect {
    SQLITE(StorageBackend.SQLITE),
    POSTGRESQL(StorageBackend.POSTGRESQL);

    private final StorageBackend backend;

    Dialect(StorageBackend backend) {
        this.backend = backend;
    }

    public StorageBackend backend() {
        return backend;
    }

    public String id() {
        return backend.id();
    }

    /** Flyway locations: the shared scripts and this dialect's own. */
    String[] migrationLocations() {
        return new String[] {"classpath:dev/tokenkeeper/db/migration/common", "classpath:dev/tokenkeeper/db/migration/" + id()};
    }

    static Dialect fromProductName(String productName) {
        String p = productName.toLowerCase(Locale.ROOT);
        if (p.contains("sqlite")) {
            return SQLITE;
        }
        if (p.contains("postgres")) {
            return POSTGRESQL;
        }
        throw new TokenKeeperException(
                ErrorCode.CONFIGURATION_INVALID,
                "unsupported database '" + productName + "': TokenKeeper runs on SQLite and PostgreSQL");
    }
}
