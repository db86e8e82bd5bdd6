package dev.tokenkeeper;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.admission.RequestAdmission;
import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditService;
import dev.tokenkeeper.internal.DefaultLimitService;
import dev.tokenkeeper.internal.DefaultPricingService;
import dev.tokenkeeper.internal.DefaultTenantService;
import dev.tokenkeeper.internal.DefaultTraceService;
import dev.tokenkeeper.internal.Listeners;
import dev.tokenkeeper.internal.Maintenance;
import dev.tokenkeeper.internal.audit.AggregatedEvents;
import dev.tokenkeeper.internal.audit.Auditor;
import dev.tokenkeeper.internal.audit.DefaultAuditService;
import dev.tokenkeeper.internal.limits.Admissions;
import dev.tokenkeeper.internal.limits.Budgets;
import dev.tokenkeeper.internal.limits.Leases;
import dev.tokenkeeper.internal.limits.LimitAlerts;
import dev.tokenkeeper.internal.limits.LimitCache;
import dev.tokenkeeper.internal.limits.RateBuckets;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.jdbc.DataSources;
import dev.tokenkeeper.internal.storage.jdbc.JdbcStorage;
import dev.tokenkeeper.internal.tokens.DefaultTokenService;
import dev.tokenkeeper.internal.tokens.SecretHasher;
import dev.tokenkeeper.internal.tokens.TokenSettings;
import dev.tokenkeeper.internal.usage.DefaultUsageService;
import dev.tokenkeeper.internal.usage.EventIds;
import dev.tokenkeeper.internal.usage.LedgerSettings;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.internal.util.Ticker;
import dev.tokenkeeper.limits.LimitAlertListener;
import dev.tokenkeeper.limits.LimitService;
import dev.tokenkeeper.limits.RateLimitBackend;
import dev.tokenkeeper.limits.RateLimitHealth;
import dev.tokenkeeper.pricing.PricingCatalog;
import dev.tokenkeeper.pricing.PricingService;
import dev.tokenkeeper.pricing.Rates;
import dev.tokenkeeper.pricing.UnknownPricePolicy;
import dev.tokenkeeper.tenancy.TenantService;
import dev.tokenkeeper.tokens.TokenService;
import dev.tokenkeeper.traces.TraceService;
import dev.tokenkeeper.usage.LedgerOverflowPolicy;
import dev.tokenkeeper.usage.UsageService;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single entry point: build one per application, share it, close it on shutdown.
 *
 * <pre>{@code
 * try (TokenKeeper keeper = TokenKeeper.builder().build()) {      // embedded SQLite file
 *     keeper.tenants().ensure("acme", "Acme Inc.");
 *     IssuedToken t = keeper.tokens().issue(TokenSpec.builder().tenant("acme").name("ci-bot").build());
 *     VerificationResult r = keeper.tokens().verify(t.secret());
 * }
 * }</pre>
 *
 * <p>Thread-safe. Its configuration is fixed at {@link Builder#build()}. {@link #close()} writes
 * everything still buffered, stops the background thread and closes the connection pool if
 * TokenKeeper created it.
 */
public final class TokenKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TokenKeeper.class);

    private final Storage storage;
    private final Clock clock;
    private final DefaultTokenService tokens;
    private final DefaultTenantService tenants;
    private final DefaultAuditService audit;
    private final DefaultPricingService pricing;
    private final DefaultUsageService usage;
    private final DefaultTraceService traces;
    private final DefaultLimitService limits;
    private final LimitCache limitCache;
    private final Budgets budgets;
    private final Admissions admissions;
    private final Listeners listeners;
    private final @Nullable Thread shutdownHook;
    private final AggregatedEvents failures; // verification failures and applications' aggregated events
    private final Maintenance maintenance;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TokenKeeper(Builder b, Storage storage) {
        this.storage = storage;
        this.clock = b.clock;
        SecretHasher hasher = new SecretHasher(b.pepper);
        checkHashScheme(storage, hasher);
        EventIds requestKeys =
                requestKeys(storage, b.secureRandom); // before any thread starts: a bad setting stops here
        Auditor auditor = new Auditor(storage, b.clock);
        this.failures = new AggregatedEvents(storage, auditor, b.clock);
        this.tokens = new DefaultTokenService(
                storage,
                b.clock,
                b.secureRandom,
                hasher,
                auditor,
                failures,
                new TokenSettings(
                        b.tokenCacheMaximumSize,
                        b.tokenCacheTtl,
                        b.negativeCacheMaximumSize,
                        b.negativeCacheTtl,
                        b.tokenSyncInterval,
                        b.clockSkewMargin,
                        b.offlineGrace,
                        b.defaultRotationGrace,
                        b.maxRotationGrace));
        this.tenants = new DefaultTenantService(storage, auditor, b.clock);
        this.audit = new DefaultAuditService(storage, auditor, failures);
        this.pricing = new DefaultPricingService(
                b.pricingCatalog != null ? b.pricingCatalog : PricingCatalog.bundled(),
                b.unknownPricePolicy,
                b.defaultRates,
                storage,
                auditor,
                b.clock);
        if (b.priceFile != null) {
            importPriceFile(pricing, b.priceFile);
        }
        boolean shared = b.sharedBudgets != null ? b.sharedBudgets : storage.backend() == StorageBackend.POSTGRESQL;
        this.budgets = new Budgets(
                storage,
                b.clock,
                RateBuckets.create(b.rateLimitBackend, storage, b.clock),
                b.rateLimitFailurePolicy,
                shared,
                shared && b.budgetLeasing
                        ? new Leases(
                                storage, b.clock, Duration.ofSeconds(30), Duration.ofSeconds(30), b.budgetRecallWait)
                        : null);
        this.limitCache =
                new LimitCache(storage, b.clock, b.limitSyncInterval, b.clockSkewMargin, budgets::limitChanged);
        List<TokenKeeperListener> keeperListeners = new ArrayList<>(b.listeners);
        ServiceLoader.load(TokenKeeperListener.class, TokenKeeper.class.getClassLoader())
                .forEach(keeperListeners::add);
        this.listeners = new Listeners(keeperListeners);
        List<LimitAlertListener> alertListeners = new ArrayList<>(b.limitAlertListeners);
        ServiceLoader.load(LimitAlertListener.class, TokenKeeper.class.getClassLoader())
                .forEach(alertListeners::add);
        keeperListeners.forEach(l -> alertListeners.add(l::onAlert));
        this.usage = new DefaultUsageService(
                storage,
                b.clock,
                pricing,
                limitCache,
                budgets,
                new LimitAlerts(storage, auditor, b.clock, alertListeners),
                listeners,
                new LedgerSettings(
                        b.synchronousLedger,
                        b.ledgerQueueCapacity,
                        b.ledgerBatchSize,
                        b.ledgerFlushInterval,
                        b.ledgerOverflowPolicy,
                        b.ledgerBlockTimeout,
                        b.idempotencyWindow,
                        b.closeTimeout,
                        b.ledgerMaxLag,
                        b.refusalTracesPerMinute),
                requestKeys,
                b.threadFactory);
        this.traces = new DefaultTraceService(storage);
        this.admissions = new Admissions(
                tokens, pricing, limitCache, budgets, usage, b.clock, b.permitTimeout, b.storageFailurePolicy);
        this.limits = new DefaultLimitService(
                storage, auditor, b.clock, limitCache, budgets, shared, admissions::reservedOnThisInstance);
        this.maintenance = new Maintenance(b.threadFactory, Ticker.of(b.clock), !b.backgroundMaintenance);
        maintenance.every("token sync", Maintenance.Lane.TOKEN_FEED, b.tokenSyncInterval, tokens::sync);
        maintenance.every("limit sync", Maintenance.Lane.LIMITS_FEED, b.limitSyncInterval, limitCache::syncLimits);
        maintenance.every(
                "last-used flush", Maintenance.Lane.MAINTENANCE, b.lastUsedFlushInterval, tokens::flushLastUsed);
        maintenance.every("aggregated audit", Maintenance.Lane.MAINTENANCE, b.failureAuditWindow, failures::flush);
        maintenance.every("price sync", Maintenance.Lane.MAINTENANCE, b.priceSyncInterval, pricing::refresh);
        maintenance.every(
                "permit expiry", Maintenance.Lane.MAINTENANCE, Duration.ofSeconds(1), admissions::releaseExpired);
        Clock clock = b.clock;
        if (shared) {
            maintenance.every(
                    "expired reservations",
                    Maintenance.Lane.MAINTENANCE,
                    Duration.ofSeconds(5),
                    () -> budgets.releaseExpiredShared(clock.instant()));
            Leases leases = budgets.leases();
            if (leases != null) {
                maintenance.every(
                        "budget leases", Maintenance.Lane.MAINTENANCE, Duration.ofMillis(100), leases::maintain);
            }
        }
        maintenance.every(
                "ended budget windows",
                Maintenance.Lane.MAINTENANCE,
                Duration.ofMinutes(1),
                () -> budgets.evictEnded(clock.instant()));
        if (b.traceRetention != null) {
            Duration keep = b.traceRetention;
            maintenance.every(
                    "trace retention",
                    Maintenance.Lane.MAINTENANCE,
                    Duration.ofHours(1),
                    () -> traces.purgeBefore(clock.instant().minus(keep)));
        }
        maintenance.start();
        if (b.shutdownHook) {
            Thread hook = new Thread(this::close, "tokenkeeper-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            this.shutdownHook = hook;
        } else {
            this.shutdownHook = null;
        }
    }

    private static void importPriceFile(DefaultPricingService pricing, Path file) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            int changed = pricing.importPrices(in, Actor.of(fileActor(file)));
            if (changed > 0) {
                LOG.info("TokenKeeper set {} price(s) from {}", changed, file);
            }
        } catch (java.io.IOException e) {
            throw new TokenKeeperException(
                    ErrorCode.CONFIGURATION_INVALID, "cannot read the price file " + file + ": " + e.getMessage(), e);
        }
    }

    private static String fileActor(Path file) {
        String name = "file:" + file.getFileName();
        return name.length() > 128 ? name.substring(0, 128) : name;
    }

    /**
     * The request keys of this database, under the hash key the database holds: made at random by the
     * first instance that opens it, read by every other, so that all derive the same event ids.
     */
    private static EventIds requestKeys(Storage storage, SecureRandom random) {
        byte[] fresh = new byte[16];
        random.nextBytes(fresh);
        String stored = storage.write(tx -> {
            storage.settings()
                    .insertIfAbsent(tx, EventIds.SETTING, HexFormat.of().formatHex(fresh));
            return storage.settings().find(tx, EventIds.SETTING).orElseThrow();
        });
        byte[] key;
        try {
            key = HexFormat.of().parseHex(stored);
        } catch (IllegalArgumentException e) {
            key = new byte[0];
        }
        if (key.length != 16) {
            throw new TokenKeeperException(
                    ErrorCode.CONFIGURATION_INVALID,
                    "the database setting '" + EventIds.SETTING + "' is not 32 hex digits: it was changed by hand");
        }
        return new EventIds(key);
    }

    private static void checkHashScheme(Storage storage, SecretHasher hasher) {
        String scheme = hasher.scheme();
        String stored = storage.write(tx -> {
            storage.settings().insertIfAbsent(tx, "secret_hash_scheme", scheme);
            return storage.settings().find(tx, "secret_hash_scheme").orElseThrow();
        });
        if (!stored.equals(scheme)) {
            throw new TokenKeeperException(
                    ErrorCode.CONFIGURATION_INVALID,
                    "the tokens in this database were hashed with '" + stored
                            + "' but this instance is configured for '" + scheme
                            + "': every instance must use the same pepper (or none)");
        }
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Issue, verify, list, rotate, revoke and expire API tokens. */
    public TokenService tokens() {
        return tokens;
    }

    /** Create and read tenants. */
    public TenantService tenants() {
        return tenants;
    }

    /** Read the audit log. */
    public AuditService audit() {
        return audit;
    }

    /**
     * Admits one LLM call: verifies the token, checks that it may call the provider and model and
     * that the model has a price (per the unknown-price policy), and reserves the call's estimate
     * (input tokens + max output tokens, and their price) on every limit that applies, all or none.
     * Returns a {@link Permit} to settle with {@code complete} (or {@code release}), or a
     * {@link Denial} saying why, which limit, and when it resets.
     */
    public Admission authorize(@Nullable String secret, CallRequest call) {
        // a missing secret is refused like a malformed one (INVALID_TOKEN), as verify does
        Checks.required("call", call);
        Admission a = admissions.authorize(secret, call);
        if (!listeners.isEmpty()) {
            listeners.authorized(call, a);
        }
        return a;
    }

    /**
     * Admits one HTTP request that is not itself an LLM call (the servlet filter's check): verifies the
     * token and applies its per-request rate limits — {@code ROLLING_MINUTE} limits of the metric
     * requests without a provider or model filter. Budgets are left to {@link #authorize}.
     */
    public RequestAdmission checkRequest(@Nullable String secret, @Nullable String source) {
        RequestAdmission a = admissions.checkRequest(secret, source);
        if (!listeners.isEmpty()) {
            listeners.requestChecked(a);
        }
        return a;
    }

    /**
     * The clock this keeper runs on ({@code builder().clock(..)}, the system clock by default): what
     * "now" means for expiries, windows and the ledger. An application computing a time for the keeper
     * (an expiry a number of seconds from now, say) should read it here.
     */
    public Clock clock() {
        return clock;
    }

    /** Permits authorized and neither settled nor expired. */
    public int openPermits() {
        return admissions.openPermits();
    }

    /** Usage limits and budgets: create, change, list and delete them. */
    public LimitService limits() {
        return limits;
    }

    /** Record LLM calls in the usage ledger. */
    public UsageService usage() {
        return usage;
    }

    /** Traces of recorded calls: query, CSV export, retention. */
    public TraceService traces() {
        return traces;
    }

    /** Prices and exact cost. */
    public PricingService pricing() {
        return pricing;
    }

    /** A round trip to the database; never throws. */
    public StorageHealth storageHealth() {
        return storage.health();
    }

    /** Whether the rate-limit backend answers (always up for the local one). */
    public RateLimitHealth rateLimitHealth() {
        return budgets.rateBuckets().health();
    }

    /** Rate-limit checks skipped because a shared backend did not answer ({@code FAIL_OPEN}), since start. */
    public long rateLimitChecksSkipped() {
        return budgets.rateChecksSkipped();
    }

    /**
     * Runs, on this thread, each periodic job whose period has passed on the keeper's clock since it
     * last ran, and returns their names (such as {@code token sync}, {@code permit expiry}), in a
     * fixed order. For a keeper built with {@code backgroundMaintenance(false)}: a test advances its
     * clock and calls this instead of waiting for a thread.
     *
     * @throws IllegalStateException when the keeper runs its maintenance on threads of its own
     */
    public List<String> runDueMaintenance() {
        return maintenance.runDue();
    }

    /** The periodic jobs and their periods, in the order {@link #runDueMaintenance()} runs them. */
    public Map<String, Duration> maintenanceCadences() {
        return maintenance.cadences();
    }

    /** The database this keeper stores its state in. */
    public StorageBackend backend() {
        return storage.backend();
    }

    /**
     * Writes what is buffered now: queued usage events, last-used times and the current window of
     * aggregated audit events (failed verifications, an application's refused requests).
     * Also picks up changes made by other instances. Runs on its own schedule anyway.
     */
    public void flush() {
        usage.flush();
        tokens.flushLastUsed();
        failures.flush();
        tokens.sync();
        limitCache.syncLimits();
    }

    /**
     * Writes every queued usage event, flushes, stops the background threads and closes the pool if
     * TokenKeeper created it. Idempotent. Runs on JVM shutdown too, unless the shutdown hook is off.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting; the hook runs this method anyway
            }
        }
        usage.close();
        maintenance.close();
        try {
            Leases leases = budgets.leases();
            if (leases != null) {
                leases.returnAll(); // after the ledger's flush: only calls still open keep a share
            }
            tokens.flushLastUsed();
            failures.flush();
        } catch (RuntimeException e) {
            LOG.warn("TokenKeeper could not write its buffers on close: {}", e.getMessage());
        } finally {
            try {
                budgets.rateBuckets().close();
            } finally {
                storage.close();
            }
        }
    }

    /**
     * Configures a {@link TokenKeeper}. Every setter checks its argument and names it; {@link #build()}
     * checks the combination. Not thread-safe.
     */
    public static final class Builder {
        private static final Path DEFAULT_SQLITE_FILE = Path.of("data", "tokenkeeper.db");

        private @Nullable DataSource dataSource;
        private @Nullable String jdbcUrl;
        private @Nullable String jdbcUser;
        private @Nullable String jdbcPassword;
        private @Nullable Path sqliteFile;
        private int maximumPoolSize = 0;
        private Clock clock = Clock.systemUTC();
        private SecureRandom secureRandom = new SecureRandom();
        private byte @Nullable [] pepper;
        private long tokenCacheMaximumSize = 100_000;
        private Duration tokenCacheTtl = Duration.ofMinutes(10);
        private long negativeCacheMaximumSize = 10_000;
        private Duration negativeCacheTtl = Duration.ofMinutes(1);
        private Duration tokenSyncInterval = Duration.ofSeconds(1);
        private Duration clockSkewMargin = Duration.ofSeconds(5);
        private Duration offlineGrace = Duration.ofSeconds(60);
        private Duration defaultRotationGrace = Duration.ZERO;
        private Duration maxRotationGrace = Duration.ofDays(30);
        private Duration lastUsedFlushInterval = Duration.ofSeconds(1);
        private Duration failureAuditWindow = Duration.ofMinutes(1);
        private ThreadFactory threadFactory = daemonThreads();
        private @Nullable PricingCatalog pricingCatalog;
        private UnknownPricePolicy unknownPricePolicy = UnknownPricePolicy.REJECT;
        private @Nullable Rates defaultRates;
        private @Nullable Path priceFile;
        private Duration priceSyncInterval = Duration.ofSeconds(10);
        private Duration limitSyncInterval = Duration.ofSeconds(5);
        private Duration permitTimeout = Duration.ofMinutes(15);
        private final List<LimitAlertListener> limitAlertListeners = new ArrayList<>();
        private final List<TokenKeeperListener> listeners = new ArrayList<>();
        private StorageFailurePolicy storageFailurePolicy = StorageFailurePolicy.FAIL_CLOSED;
        private RateLimitBackend rateLimitBackend = RateLimitBackend.local();
        private boolean budgetLeasing = true;
        private Duration budgetRecallWait = Duration.ofMillis(500);
        private java.util.function.@Nullable UnaryOperator<Storage> storageDecorator;
        private StorageFailurePolicy rateLimitFailurePolicy = StorageFailurePolicy.FAIL_OPEN;
        private @Nullable Boolean sharedBudgets;
        private boolean synchronousLedger;
        private int ledgerQueueCapacity = 100_000;
        private int ledgerBatchSize = 10_000;
        private Duration ledgerFlushInterval = Duration.ofMillis(20);
        private LedgerOverflowPolicy ledgerOverflowPolicy = LedgerOverflowPolicy.BLOCK;
        private Duration ledgerBlockTimeout = Duration.ofSeconds(5);
        private @Nullable Duration ledgerMaxLag;
        private int refusalTracesPerMinute = 60;
        private Duration idempotencyWindow = Duration.ofMinutes(10);
        private Duration closeTimeout = Duration.ofSeconds(30);
        private boolean shutdownHook = true;
        private boolean backgroundMaintenance = true;
        private @Nullable Duration traceRetention;

        private Builder() {}

        /** Use this DataSource (SQLite or PostgreSQL). TokenKeeper does not close it. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** Open a pool for this JDBC URL, such as {@code jdbc:postgresql://db/app}; closed on {@link #close()}. */
        public Builder jdbcUrl(String url, @Nullable String user, @Nullable String password) {
            requireNonNull(url, "url");
            if (!url.startsWith("jdbc:")) {
                throw new IllegalArgumentException("jdbcUrl must start with 'jdbc:', was '" + url + "'");
            }
            this.jdbcUrl = url;
            this.jdbcUser = user;
            this.jdbcPassword = password;
            return this;
        }

        /** Use an embedded SQLite file (the default is {@code data/tokenkeeper.db}). */
        public Builder sqliteFile(Path file) {
            this.sqliteFile = requireNonNull(file, "sqliteFile");
            return this;
        }

        /** Pool size when TokenKeeper opens the pool: default 4 for SQLite, 10 otherwise. */
        public Builder maximumPoolSize(int size) {
            if (size < 1 || size > 200) {
                throw new IllegalArgumentException("maximumPoolSize must be between 1 and 200, was " + size);
            }
            this.maximumPoolSize = size;
            return this;
        }

        /** The clock for every business time (issue, expiry, audit). Default: system UTC. */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** The source of secret randomness. Default: a new {@link SecureRandom}. */
        public Builder secureRandom(SecureRandom random) {
            this.secureRandom = requireNonNull(random, "secureRandom");
            return this;
        }

        /**
         * A server-side secret (at least 32 bytes) that keys the secret hash (HMAC-SHA-256 instead of
         * SHA-256). Every instance on one database must use the same pepper; changing it invalidates
         * every token.
         */
        public Builder pepper(byte[] pepper) {
            requireNonNull(pepper, "pepper");
            if (pepper.length < 32) {
                throw new IllegalArgumentException("pepper must be at least 32 bytes, was " + pepper.length);
            }
            this.pepper = pepper.clone();
            return this;
        }

        /** Most tokens held in the verification cache. Default 100,000. */
        public Builder tokenCacheMaximumSize(long size) {
            this.tokenCacheMaximumSize = positive("tokenCacheMaximumSize", size);
            return this;
        }

        /** Longest a token's state is cached even without a change. Default 10 minutes. */
        public Builder tokenCacheTtl(Duration ttl) {
            this.tokenCacheTtl = positive("tokenCacheTtl", ttl);
            return this;
        }

        /** Most unknown secrets remembered (bounded so that garbage cannot grow memory). Default 10,000. */
        public Builder negativeCacheMaximumSize(long size) {
            this.negativeCacheMaximumSize = positive("negativeCacheMaximumSize", size);
            return this;
        }

        /** How long an unknown secret is remembered as unknown. Default 1 minute. */
        public Builder negativeCacheTtl(Duration ttl) {
            this.negativeCacheTtl = positive("negativeCacheTtl", ttl);
            return this;
        }

        /**
         * How often this instance reads the change feed to see revocations and rotations made by
         * other instances. Default 1 second; a change reaches every instance within about this long.
         */
        public Builder tokenSyncInterval(Duration interval) {
            this.tokenSyncInterval = positive("tokenSyncInterval", interval);
            return this;
        }

        /** How far apart the instances' clocks may be. Default 5 seconds. */
        public Builder clockSkewMargin(Duration margin) {
            this.clockSkewMargin = nonNegative("clockSkewMargin", margin);
            return this;
        }

        /**
         * How long cached tokens keep verifying while the database cannot be read; after that,
         * verification goes to the database and fails with {@link StorageException}. Default 60 s.
         */
        public Builder offlineGrace(Duration grace) {
            this.offlineGrace = positive("offlineGrace", grace);
            return this;
        }

        /**
         * The longest grace period a rotation may give the old secret; a longer one is refused with
         * {@link InvalidRequestException}. Default 30 days.
         */
        public Builder maxRotationGrace(Duration grace) {
            this.maxRotationGrace = nonNegative("maxRotationGrace", grace);
            return this;
        }

        /** The grace period of {@code rotate(tenant, id)}. Default 0: the old secret stops at once. */
        public Builder defaultRotationGrace(Duration grace) {
            this.defaultRotationGrace = nonNegative("defaultRotationGrace", grace);
            return this;
        }

        /** How often last-used times are written. Default 1 second. */
        public Builder lastUsedFlushInterval(Duration interval) {
            this.lastUsedFlushInterval = positive("lastUsedFlushInterval", interval);
            return this;
        }

        /**
         * The window over which failed verifications, and the events an application records with
         * {@code audit().recordAggregated}, are aggregated into one audit event each. Default 1 minute.
         */
        public Builder failureAuditWindow(Duration window) {
            this.failureAuditWindow = positive("failureAuditWindow", window);
            return this;
        }

        /**
         * Makes the threads for background work; TokenKeeper names each after its job
         * ({@code tokenkeeper-ledger-writer}, {@code tokenkeeper-token-feed}, {@code tokenkeeper-limits-feed},
         * {@code tokenkeeper-maintenance}; on SQLite also {@code tokenkeeper-sqlite-checkpoint}).
         * Default: daemon threads.
         */
        public Builder threadFactory(ThreadFactory factory) {
            this.threadFactory = requireNonNull(factory, "threadFactory");
            return this;
        }

        /** The price list. Default: the catalog bundled with TokenKeeper ({@link PricingCatalog#bundled()}). */
        public Builder pricingCatalog(PricingCatalog catalog) {
            this.pricingCatalog = requireNonNull(catalog, "pricingCatalog");
            return this;
        }

        /** What a call to a model without a price gets. Default {@link UnknownPricePolicy#REJECT}. */
        public Builder unknownPricePolicy(UnknownPricePolicy policy) {
            this.unknownPricePolicy = requireNonNull(policy, "unknownPricePolicy");
            return this;
        }

        /**
         * A JSON file in the catalog format whose prices are set at start as runtime prices (stored,
         * audited when new or changed, shared with the other instances). Default: none.
         */
        public Builder priceFile(Path file) {
            this.priceFile = requireNonNull(file, "priceFile");
            return this;
        }

        /** How often the runtime prices set by other instances are re-read. Default 10 s. */
        public Builder priceSyncInterval(Duration interval) {
            this.priceSyncInterval = positive("priceSyncInterval", interval);
            return this;
        }

        /**
         * Receives limit alerts: threshold crossings and grace, once per limit, window and threshold
         * ({@link LimitAlertListener}). Listeners declared as service providers are added too.
         */
        public Builder limitAlertListener(LimitAlertListener listener) {
            this.limitAlertListeners.add(requireNonNull(listener, "limitAlertListener"));
            return this;
        }

        /**
         * Observes decisions, recorded usage and alerts ({@link TokenKeeperListener}), for metrics or
         * logs. Listeners declared as service providers are added too.
         */
        public Builder listener(TokenKeeperListener listener) {
            this.listeners.add(requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * With shared budgets, whether this instance leases budget in chunks and admits from its lease
         * in memory (default true), or reserves each call in the database (two short transactions per
         * call). Leasing never overshoots; see the limits documentation for how idle leases are given
         * back.
         */
        public Builder budgetLeasing(boolean leasing) {
            this.budgetLeasing = leasing;
            return this;
        }

        /** For this package's tests: wraps the storage the keeper is built on (to inject faults, for one). */
        Builder storageDecorator(java.util.function.UnaryOperator<Storage> decorator) {
            this.storageDecorator = requireNonNull(decorator, "storageDecorator");
            return this;
        }

        /**
         * With leased shared budgets: how long a call that finds no room waits for the other instances
         * to give back their unused leases after recalling them (default 500 ms; zero refuses at once).
         * It is measured on the builder's {@code clock} and is bounded to 30 s of real time as well.
         */
        public Builder budgetRecallWait(Duration wait) {
            requireNonNull(wait, "budgetRecallWait");
            if (wait.isNegative() || wait.compareTo(Duration.ofSeconds(30)) > 0) {
                throw new IllegalArgumentException("budgetRecallWait must be between 0 and 30 s: " + wait);
            }
            this.budgetRecallWait = wait;
            return this;
        }

        /**
         * Where rate limits' buckets live: {@link RateLimitBackend#local()} (default),
         * {@link RateLimitBackend#database()} (PostgreSQL only) or {@link RateLimitBackend#redis(String)}.
         */
        public Builder rateLimitBackend(RateLimitBackend backend) {
            this.rateLimitBackend = requireNonNull(backend, "rateLimitBackend");
            return this;
        }

        /**
         * What a rate-limit check does when a shared rate-limit backend does not answer: admit without
         * the rate limit ({@code FAIL_OPEN}, the default: budgets still hold) or refuse with
         * {@link dev.tokenkeeper.admission.DenialReason#STORAGE_UNAVAILABLE} ({@code FAIL_CLOSED}).
         */
        public Builder rateLimitFailurePolicy(StorageFailurePolicy policy) {
            this.rateLimitFailurePolicy = requireNonNull(policy, "rateLimitFailurePolicy");
            return this;
        }

        /**
         * What {@code authorize} does when the limits or counters a call needs cannot be read from the
         * database. Default {@link StorageFailurePolicy#FAIL_CLOSED}.
         */
        public Builder storageFailurePolicy(StorageFailurePolicy policy) {
            this.storageFailurePolicy = requireNonNull(policy, "storageFailurePolicy");
            return this;
        }

        /**
         * Whether budget reservations are held in the database, so that every instance on it enforces
         * the same budgets (one short transaction per {@code authorize} and per {@code complete}), or
         * in this instance's memory (sub-microsecond, for one instance per database). Default: shared
         * on PostgreSQL, local on SQLite.
         */
        public Builder sharedBudgets(boolean shared) {
            this.sharedBudgets = shared;
            return this;
        }

        /**
         * How often this instance reads the limits change feed, so how long a limit created, changed or
         * deleted by another instance may go unnoticed. Default 5 s.
         */
        public Builder limitSyncInterval(Duration interval) {
            this.limitSyncInterval = positive("limitSyncInterval", interval);
            return this;
        }

        /**
         * How long a permit holds its reservations when it is neither completed nor released (a caller
         * that crashed). Default 15 minutes: longer than any model call should take.
         */
        public Builder permitTimeout(Duration timeout) {
            this.permitTimeout = positive("permitTimeout", timeout);
            return this;
        }

        /** The rates used by {@link UnknownPricePolicy#DEFAULT_PRICE}. */
        public Builder defaultRates(Rates rates) {
            this.defaultRates = requireNonNull(rates, "defaultRates");
            return this;
        }

        /**
         * Commit each usage event before {@code record} returns (no loss window, one transaction per
         * event) instead of queueing it for the batch writer. Default false.
         */
        public Builder synchronousLedger(boolean synchronous) {
            this.synchronousLedger = synchronous;
            return this;
        }

        /**
         * Most usage events queued for the writer: 1 to 1,000,000,000. Default 100,000. The queue's
         * array is allocated at build, a reference per slot, rounded up to a power of two.
         */
        public Builder ledgerQueueCapacity(int capacity) {
            positive("ledgerQueueCapacity", capacity);
            if (capacity > MAX_LEDGER_QUEUE_CAPACITY) {
                throw new IllegalArgumentException(
                        "ledgerQueueCapacity must be at most " + MAX_LEDGER_QUEUE_CAPACITY + ", was " + capacity);
            }
            this.ledgerQueueCapacity = capacity;
            return this;
        }

        private static final int MAX_LEDGER_QUEUE_CAPACITY = 1_000_000_000;

        /** Most events the writer commits in one transaction. Default 10,000. */
        public Builder ledgerBatchSize(int size) {
            this.ledgerBatchSize = (int) positive("ledgerBatchSize", size);
            return this;
        }

        /**
         * Longest the writer waits for more events before it commits what it has (group commit): after
         * an event arrives, the writer waits up to this long, or until a batch is full or {@code flush()}
         * is called, so that under light load it commits one transaction per interval instead of one
         * per event. Default 20 ms. It adds up to this much to the ledger's lag; with {@link
         * #ledgerMaxLag} set, the wait is at most a quarter of that bound.
         */
        public Builder ledgerFlushInterval(Duration interval) {
            this.ledgerFlushInterval = positive("ledgerFlushInterval", interval);
            return this;
        }

        /** What {@code record} does when the queue is full. Default {@link LedgerOverflowPolicy#BLOCK}. */
        public Builder ledgerOverflowPolicy(LedgerOverflowPolicy policy) {
            this.ledgerOverflowPolicy = requireNonNull(policy, "ledgerOverflowPolicy");
            return this;
        }

        /**
         * Bounds by time what a crash of the process can lose: when the age of the oldest event not yet
         * committed, plus the time the writer needs for the queue at its recent rate, would pass this,
         * {@code record} (and so {@code complete}) treats the ledger as full — {@code BLOCK} waits up to
         * {@link #ledgerBlockTimeout} for the writer to catch up, {@code REJECT} refuses at once — so
         * accepted events are not left unwritten for longer than this while the writer keeps its pace.
         * During a database outage calls then fail once the lag passes it, instead of being buffered
         * in the queue. Default: none (the queue's capacity bounds what a crash can lose).
         */
        public Builder ledgerMaxLag(Duration maxLag) {
            this.ledgerMaxLag = positive("ledgerMaxLag", maxLag);
            return this;
        }

        /**
         * Calls refused by {@code authorize} after their token was verified (budget, rate limit, model
         * or provider not allowed, price missing, storage unavailable) are written as traces with
         * outcome {@code DENIED}: at most this many per token and minute, so that a runaway agent's
         * refusals cannot flood the ledger; the rest are counted in
         * {@code usage().stats().refusalsNotTraced()}. 0 traces none. Default 60.
         */
        public Builder refusalTracesPerMinute(int perMinute) {
            if (perMinute < 0) {
                throw new IllegalArgumentException("refusalTracesPerMinute must be >= 0, was " + perMinute);
            }
            this.refusalTracesPerMinute = perMinute;
            return this;
        }

        /** How long {@code BLOCK} waits for room. Default 5 s. */
        public Builder ledgerBlockTimeout(Duration timeout) {
            this.ledgerBlockTimeout = positive("ledgerBlockTimeout", timeout);
            return this;
        }

        /** How long this instance remembers request ids to recognise re-stamped retries. Default 10 min. */
        public Builder idempotencyWindow(Duration window) {
            this.idempotencyWindow = positive("idempotencyWindow", window);
            return this;
        }

        /** How long {@link TokenKeeper#close()} waits for the queue to be written. Default 30 s. */
        public Builder closeTimeout(Duration timeout) {
            this.closeTimeout = positive("closeTimeout", timeout);
            return this;
        }

        /**
         * Remove traces (raw usage events) older than this, hourly, in chunks; the hourly roll-ups and
         * so all analytics stay. Default: keep forever.
         */
        public Builder traceRetention(Duration retention) {
            this.traceRetention = positive("traceRetention", retention);
            return this;
        }

        /** Close (and so flush) on JVM shutdown. Default true. */
        public Builder shutdownHook(boolean enabled) {
            this.shutdownHook = enabled;
            return this;
        }

        /**
         * Whether the periodic work (change feeds, flushes, sweeps, lease upkeep, price sync, retention)
         * runs on TokenKeeper's own threads. Default true. With {@code false} no such thread is started,
         * and nothing happens until the application calls {@link TokenKeeper#runDueMaintenance()}, which
         * runs each job whose period has passed on the keeper's clock: for tests that drive time, and
         * for applications that schedule work themselves. The ledger's writer thread runs either way
         * (see {@link #synchronousLedger}).
         */
        public Builder backgroundMaintenance(boolean enabled) {
            this.backgroundMaintenance = enabled;
            return this;
        }

        /**
         * Opens storage, applies pending schema migrations and starts the background thread.
         *
         * @throws StorageException when the database cannot be reached or migrated
         */
        public TokenKeeper build() {
            List<String> sources = new ArrayList<>();
            if (dataSource != null) {
                sources.add("dataSource");
            }
            if (jdbcUrl != null) {
                sources.add("jdbcUrl");
            }
            if (sqliteFile != null) {
                sources.add("sqliteFile");
            }
            if (sources.size() > 1) {
                throw new IllegalStateException("set only one of dataSource, jdbcUrl and sqliteFile; set: " + sources);
            }
            if (offlineGrace.compareTo(tokenSyncInterval) <= 0) {
                throw new IllegalStateException(
                        "offlineGrace (" + offlineGrace + ") must be longer than tokenSyncInterval ("
                                + tokenSyncInterval + "), or cached tokens would stop being trusted between two syncs");
            }
            if (unknownPricePolicy == UnknownPricePolicy.DEFAULT_PRICE && defaultRates == null) {
                throw new IllegalStateException("unknownPricePolicy DEFAULT_PRICE needs defaultRates");
            }
            if (defaultRotationGrace.compareTo(maxRotationGrace) > 0) {
                throw new IllegalStateException("defaultRotationGrace must not exceed " + maxRotationGrace);
            }
            Storage storage;
            if (dataSource != null) {
                storage = JdbcStorage.create(dataSource, null, threadFactory);
            } else if (jdbcUrl != null) {
                var pool =
                        DataSources.jdbc(jdbcUrl, jdbcUser, jdbcPassword, maximumPoolSize > 0 ? maximumPoolSize : 10);
                storage = JdbcStorage.create(pool, pool, threadFactory);
            } else {
                Path file = sqliteFile != null ? sqliteFile : DEFAULT_SQLITE_FILE;
                var pool = DataSources.sqlite(file, maximumPoolSize > 0 ? maximumPoolSize : 4);
                storage = JdbcStorage.create(pool, pool, threadFactory);
            }
            if (storageDecorator != null) {
                storage = storageDecorator.apply(storage);
            }
            try {
                return new TokenKeeper(this, storage);
            } catch (RuntimeException e) {
                storage.close();
                throw e;
            }
        }

        private static long positive(String name, long value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }

        private static Duration positive(String name, Duration value) {
            requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }

        private static Duration nonNegative(String name, Duration value) {
            requireNonNull(value, name);
            if (value.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative, was " + value);
            }
            return value;
        }

        private static ThreadFactory daemonThreads() {
            return r -> {
                Thread t = new Thread(r, "tokenkeeper");
                t.setDaemon(true);
                return t;
            };
        }
    }
}
