package dev.tokenkeeper.app.config;

import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The reference app's {@code tokenkeeper.*} settings.
 *
 * @param storage where the data lives
 * @param defaultTenant the tenant created at first start, to which the bootstrap admin belongs
 * @param bootstrapAdmin whether to issue an admin token at first start when the default tenant has
 *     no active admin token
 * @param tokenSyncInterval how often other instances' token changes are picked up
 * @param priceFile a JSON price file set as runtime prices at start, or none
 */
@ConfigurationProperties("tokenkeeper")
public record AppProperties(
        @DefaultValue Storage storage,
        @DefaultValue("default") String defaultTenant,
        @DefaultValue("true") boolean bootstrapAdmin,
        @DefaultValue("1s") Duration tokenSyncInterval,
        @Nullable Path priceFile) {

    /**
     * @param sqliteFile the embedded SQLite file, used when no JDBC URL is set
     * @param jdbcUrl a JDBC URL (PostgreSQL) instead of the SQLite file
     * @param username database user for the JDBC URL
     * @param password database password for the JDBC URL
     */
    public record Storage(
            @DefaultValue("data/tokenkeeper.db") Path sqliteFile,
            @Nullable String jdbcUrl,
            @Nullable String username,
            @Nullable String password) {}
}
