package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.TokenKeeperException;
import java.util.Locale;

/**
 * The one place where SQLite and PostgreSQL differ. The SQL of the stores is written once in the
 * subset both understand (row values, {@code ON CONFLICT DO NOTHING}, {@code LIMIT}); what remains
 * is the migration folder with the scripts that cannot be shared (triggers).
 */
public enum Dialect {
    SQLITE("sqlite"),
    POSTGRESQL("postgresql");

    private final String id;

    Dialect(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Flyway locations: the shared scripts and this dialect's own. */
    String[] migrationLocations() {
        return new String[] {"classpath:dev/tokenkeeper/db/migration/common", "classpath:dev/tokenkeeper/db/migration/" + id};
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
