package dev.tokenkeeper.spring;

import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.pricing.UnknownPricePolicy;
import dev.tokenkeeper.usage.LedgerOverflowPolicy;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code tokenkeeper.*} settings of the auto-configured {@link dev.tokenkeeper.TokenKeeper}.
 * Unset values keep the builder's defaults (see the configuration reference).
 *
 * @param storage where the data lives
 * @param tokenSyncInterval how often other instances' token changes are picked up
 * @param priceFile a JSON price file set as runtime prices at start
 * @param unknownPricePolicy what a call to a model without a price gets
 * @param sharedBudgets budget reservations in the database (default: on PostgreSQL)
 * @param storageFailurePolicy what {@code authorize} does when the database does not answer
 * @param permitTimeout how long an unsettled permit holds its reservations
 * @param traceRetention how long raw traces are kept (roll-ups stay), or forever
 * @param ledger the usage ledger's queue and writer
 * @param filter the servlet filter in front of the application's endpoints
 * @param rateLimits where rate limits' buckets live
 * @param backgroundMaintenance whether the periodic jobs (token sync, limit sync, permit expiry,
 *     retention...) run on the keeper's own threads (default true); with false they run only when
 *     the application calls {@code keeper.runDueMaintenance()}, for tests that drive time
 */
@ConfigurationProperties("tokenkeeper")
public record TokenKeeperProperties(
        @DefaultValue Storage storage,
        @Nullable Duration tokenSyncInterval,
        @Nullable Path priceFile,
        @Nullable UnknownPricePolicy unknownPricePolicy,
        @Nullable Boolean sharedBudgets,
        @Nullable StorageFailurePolicy storageFailurePolicy,
        @Nullable Duration permitTimeout,
        @Nullable Duration traceRetention,
        @DefaultValue Ledger ledger,
        @DefaultValue Filter filter,
        @DefaultValue RateLimits rateLimits,
        @DefaultValue("true") boolean backgroundMaintenance) {

    /** The constructor properties are bound through. */
    @org.springframework.boot.context.properties.bind.ConstructorBinding
    public TokenKeeperProperties {}

    /** The settings with the periodic jobs on the keeper's own threads (the default). */
    public TokenKeeperProperties(
            Storage storage,
            @Nullable Duration tokenSyncInterval,
            @Nullable Path priceFile,
            @Nullable UnknownPricePolicy unknownPricePolicy,
            @Nullable Boolean sharedBudgets,
            @Nullable StorageFailurePolicy storageFailurePolicy,
            @Nullable Duration permitTimeout,
            @Nullable Duration traceRetention,
            Ledger ledger,
            Filter filter,
            RateLimits rateLimits) {
        this(
                storage,
                tokenSyncInterval,
                priceFile,
                unknownPricePolicy,
                sharedBudgets,
                storageFailurePolicy,
                permitTimeout,
                traceRetention,
                ledger,
                filter,
                rateLimits,
                true);
    }

    /** Where rate limits' buckets live. */
    public enum RateLimitBackendKind {
        /** In each instance's memory. */
        LOCAL,
        /** In the keeper's PostgreSQL database. */
        DATABASE,
        /** In Redis at {@code tokenkeeper.rate-limits.redis-uri}. */
        REDIS
    }

    /**
     * Rate limits: where their buckets live ({@code tokenkeeper.rate-limits.*}).
     *
     * @param backend local (default), database (PostgreSQL) or redis
     * @param redisUri the Redis server, {@code redis://host:6379}, for the redis backend
     * @param timeout how long one check may wait for a shared backend (default 500ms)
     * @param failurePolicy what a check does when a shared backend does not answer (default fail-open)
     */
    public record RateLimits(
            @DefaultValue("local") RateLimitBackendKind backend,
            @Nullable String redisUri,
            @DefaultValue("500ms") Duration timeout,
            @DefaultValue("fail-open") StorageFailurePolicy failurePolicy) {}

    /**
     * Storage: the database TokenKeeper keeps its state in ({@code tokenkeeper.storage.*}).
     *
     * @param sqliteFile the embedded SQLite file (default {@code data/tokenkeeper.db}), used when
     *     neither a JDBC URL nor the application's data source is set
     * @param jdbcUrl a JDBC URL (PostgreSQL) with its own pool
     * @param username database user for the JDBC URL
     * @param password database password for the JDBC URL
     * @param useApplicationDataSource use the application's {@code DataSource} bean instead
     */
    public record Storage(
            @DefaultValue("data/tokenkeeper.db") Path sqliteFile,
            @Nullable String jdbcUrl,
            @Nullable String username,
            @Nullable String password,
            @DefaultValue("false") boolean useApplicationDataSource) {}

    /**
     * The servlet filter ({@code tokenkeeper.filter.*}).
     *
     * @param enabled register the {@code TokenKeeperFilter} (default false)
     * @param urlPatterns the servlet URL patterns it is registered for (default {@code /*})
     * @param excludePaths paths that pass unchecked ({@code /health} or {@code /actuator/**})
     * @param requiredScope refuse tokens without this scope
     * @param errorFormat the body of refusals: problem, openai or anthropic
     * @param queryParameter also read the token from this query parameter (off by default)
     * @param realm the realm of {@code WWW-Authenticate}
     * @param order the filter's order among the application's filters
     */
    public record Filter(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("/*") java.util.List<String> urlPatterns,
            @DefaultValue java.util.List<String> excludePaths,
            @Nullable String requiredScope,
            @DefaultValue("problem") String errorFormat,
            @Nullable String queryParameter,
            @DefaultValue("tokenkeeper") String realm,
            @DefaultValue("0") int order) {}

    /**
     * The usage ledger ({@code tokenkeeper.ledger.*}).
     *
     * @param synchronous commit each event before {@code record} returns
     * @param queueCapacity events the queue holds
     * @param batchSize events per write transaction at most
     * @param flushInterval longest wait, after an event, for more before a commit (group commit)
     * @param overflowPolicy what {@code record} does on a full queue
     * @param maxLag how far behind the writer may fall before {@code record} treats the ledger as full
     *     (bounds by time what a crash can lose); unset: no bound but the queue's capacity
     * @param refusalTracesPerMinute refused calls traced per token and minute, at most (default 60)
     */
    public record Ledger(
            @DefaultValue("false") boolean synchronous,
            @Nullable Integer queueCapacity,
            @Nullable Integer batchSize,
            @Nullable Duration flushInterval,
            @Nullable LedgerOverflowPolicy overflowPolicy,
            @Nullable Duration maxLag,
            @Nullable Integer refusalTracesPerMinute) {}
}
