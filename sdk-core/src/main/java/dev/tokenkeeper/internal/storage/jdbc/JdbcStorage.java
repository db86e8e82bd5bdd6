package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.StorageHealth;
import dev.tokenkeeper.TokenKeeperException;
import dev.tokenkeeper.internal.storage.AuditStore;
import dev.tokenkeeper.internal.storage.LimitStore;
import dev.tokenkeeper.internal.storage.PriceStore;
import dev.tokenkeeper.internal.storage.SettingsStore;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.TenantStore;
import dev.tokenkeeper.internal.storage.TokenStore;
import dev.tokenkeeper.internal.storage.UsageStore;
import dev.tokenkeeper.internal.storage.WriterSession;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The JDBC backend over Jdbi, for SQLite and PostgreSQL. */
public final class JdbcStorage implements Storage {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcStorage.class);
    static final String HISTORY_TABLE = "tk_schema_history";
    /** The page cache of the ledger writer's SQLite connection, in KiB. */
    static final int WRITER_CACHE_KIB = 65_536;

    private final DataSource dataSource;
    private final @Nullable AutoCloseable ownedPool;
    private final Dialect dialect;
    private final Jdbi jdbi;
    private final JdbcTenantStore tenants = new JdbcTenantStore();
    private final JdbcTokenStore tokens = new JdbcTokenStore();
    private final JdbcAuditStore audit = new JdbcAuditStore();
    private final JdbcSettingsStore settings = new JdbcSettingsStore();
    private final JdbcUsageStore usage;
    private final JdbcPriceStore prices = new JdbcPriceStore();
    private final JdbcLimitStore limits;
    private final JdbcCounterStore counters;
    private final JdbcLeaseStore leases;

    /** How long a writer of this process waits for its turn on SQLite: as long as SQLite's busy timeout. */
    static final Duration SQLITE_WRITE_WAIT = DataSources.SQLITE_BUSY_TIMEOUT;

    /** Fair turns for this process's write transactions on SQLite; {@code null} on PostgreSQL. */
    private final @Nullable ReentrantLock sqliteWrites;

    /** Checkpoints SQLite's log outside the writers' commits; {@code null} on PostgreSQL. */
    private final @Nullable SqliteCheckpointer checkpointer;

    private static final ThreadFactory DAEMON_THREADS = r -> {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    };

    /** The SQLite checkpointer (for tests in this package), or null on PostgreSQL. */
    @Nullable
    SqliteCheckpointer checkpointer() {
        return checkpointer;
    }

    private JdbcStorage(
            DataSource dataSource,
            @Nullable AutoCloseable ownedPool,
            Dialect dialect,
            ThreadFactory threads,
            LongSupplier nanoTime) {
        this.sqliteWrites = dialect.serializesWriters() ? new ReentrantLock(true) : null;
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.dialect = dialect;
        this.jdbi = Jdbi.create(dataSource);
        this.usage = new JdbcUsageStore(dialect);
        this.limits = new JdbcLimitStore();
        this.counters = new JdbcCounterStore(dialect);
        this.leases = new JdbcLeaseStore(dialect);
        this.checkpointer = dialect.serializesWriters() ? new SqliteCheckpointer(jdbi, threads, nanoTime) : null;
    }

    /**
     * Opens storage on {@code dataSource}, detecting the dialect and applying pending migrations.
     *
     * @param ownedPool closed with this storage when TokenKeeper created the pool, else {@code null}
     */
    /** The pool this storage runs on (for Bucket4j's PostgreSQL backend). */
    public DataSource dataSource() {
        return dataSource;
    }

    public static JdbcStorage create(DataSource dataSource, @Nullable AutoCloseable ownedPool) {
        return create(dataSource, ownedPool, DAEMON_THREADS);
    }

    /**
     * As {@link #create(DataSource, AutoCloseable)}, with the factory of the storage's background
     * thread (SQLite's checkpoints).
     */
    public static JdbcStorage create(DataSource dataSource, @Nullable AutoCloseable ownedPool, ThreadFactory threads) {
        return create(dataSource, ownedPool, threads, System::nanoTime);
    }

    /** As {@link #create(DataSource, AutoCloseable, ThreadFactory)}, with the clock that paces SQLite's checkpoints (tests). */
    static JdbcStorage create(
            DataSource dataSource, @Nullable AutoCloseable ownedPool, ThreadFactory threads, LongSupplier nanoTime) {
        Dialect dialect;
        try (Connection c = dataSource.getConnection()) {
            dialect = Dialect.fromProductName(c.getMetaData().getDatabaseProductName());
        } catch (SQLException e) {
            closeQuietly(ownedPool);
            throw new StorageException("cannot connect to the database: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ownedPool);
            throw e;
        }
        JdbcStorage storage = new JdbcStorage(dataSource, ownedPool, dialect, threads, nanoTime);
        try {
            storage.migrate();
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
        return storage;
    }

    private void migrate() {
        try {
            Flyway flyway = Flyway.configure(JdbcStorage.class.getClassLoader())
                    .dataSource(dataSource)
                    .locations(dialect.migrationLocations())
                    .table(HISTORY_TABLE)
                    // An application database that already holds other tables gets our schema too.
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .load();
            int applied = flyway.migrate().migrationsExecuted;
            if (applied > 0) {
                LOG.info("TokenKeeper applied {} schema migration(s) on {}", applied, dialect.id());
            }
        } catch (FlywayException e) {
            throw new TokenKeeperException(
                    ErrorCode.STORAGE_UNAVAILABLE, "schema migration failed: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T write(Function<StorageTx, T> work) {
        try {
            return inWriteTurn(() -> jdbi.inTransaction(h -> work.apply(new JdbcTx(h))), null);
        } catch (JdbiException e) {
            throw translate(e);
        }
    }

    /**
     * Runs one write transaction in this process's turn (SQLite), and tells the checkpointer when it
     * committed.
     *
     * @param session the writer session's connection, or {@code null} for a pooled one
     */
    private <T> T inWriteTurn(Supplier<T> transaction, @Nullable Handle session) {
        T result;
        lockWrites();
        try {
            result = transaction.get();
        } finally {
            unlockWrites();
        }
        if (checkpointer != null) {
            if (session != null) {
                checkpointer.sessionCommitted(session);
            } else {
                checkpointer.committed();
            }
        }
        return result;
    }

    /**
     * SQLite has one writer at a time, and its busy handler lets a waiting writer sleep and retry: a
     * ledger writer that commits batch after batch takes the lock again before a sleeper wakes, so
     * the others (last-used times, an admin revoking a token) could wait for seconds or fail. In this
     * JVM, writers therefore queue on a fair lock first and take turns, each waiting at most one
     * batch. Writers in other processes still meet SQLite's busy timeout.
     */
    private void lockWrites() {
        if (sqliteWrites == null) {
            return;
        }
        try {
            if (!sqliteWrites.tryLock(SQLITE_WRITE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new StorageException(
                        "the SQLite database stayed busy for " + SQLITE_WRITE_WAIT
                                + ": another write transaction of this process did not end",
                        null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while waiting to write to the SQLite database", e);
        }
    }

    private void unlockWrites() {
        if (sqliteWrites != null) {
            sqliteWrites.unlock();
        }
    }

    @Override
    public WriterSession openWriterSession() {
        return new Session();
    }

    /** A held Jdbi handle with its statements; dropped after any failure and reopened on next use. */
    private final class Session implements WriterSession {
        private @Nullable Handle handle;
        private @Nullable StatementCache statements;
        /** The SQLite connection's cache_size, wal_autocheckpoint and temp_store before the session set its own. */
        private long @Nullable [] pooledSettings;
        /** Whether the session wrote since it was last idle: SQLite's checkpoints wait for it meanwhile. */
        private boolean busy;

        @Override
        public <T> T write(Function<StorageTx, T> work) {
            try {
                if (handle == null) {
                    handle = jdbi.open();
                    if (dialect.serializesWriters()) {
                        Handle h = handle;
                        // what the pooled connection is given back with when the session ends
                        pooledSettings = new long[] {
                            pragma(h, "cache_size"), pragma(h, "wal_autocheckpoint"), pragma(h, "temp_store")
                        };
                        // A batch of 10,000 events dirties more pages than SQLite's default 2 MiB cache holds,
                        // which would spill them to the WAL before the commit.
                        h.execute("PRAGMA cache_size = -" + WRITER_CACHE_KIB);
                        // The checkpointer copies the log; this connection only finishes its work, now and
                        // then, so that the log rewinds (see SqliteCheckpointer).
                        h.execute("PRAGMA wal_autocheckpoint = " + SqliteCheckpointer.WRITER_AUTOCHECKPOINT_PAGES);
                        // The ledger's savepoints (one per chunk of events) and its upserts' RETURNING keep
                        // their scratch pages in a temporary file by default: a write system call for each
                        // page, on every batch. A batch's scratch is bounded by the batch, so it stays in memory.
                        h.execute("PRAGMA temp_store = MEMORY");
                    }
                    statements = new StatementCache(handle.getConnection());
                }
                StatementCache cache = statements;
                Handle held = handle;
                if (checkpointer != null && !busy) {
                    busy = true;
                    checkpointer.sessionBusy();
                }
                return inWriteTurn(() -> held.inTransaction(h -> work.apply(new JdbcTx(h, cache))), held);
            } catch (JdbiException e) {
                close();
                throw translate(e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void idle() {
            if (busy && checkpointer != null) {
                busy = false;
                checkpointer.sessionIdle(handle);
            }
        }

        @Override
        public void close() {
            if (busy && checkpointer != null) {
                busy = false;
                checkpointer.sessionIdle(null);
            }
            if (statements != null) {
                statements.close();
                statements = null;
            }
            if (handle != null) {
                long[] pooled = pooledSettings;
                pooledSettings = null;
                if (pooled != null) {
                    // the connection goes back to the pool: a reader's sort of millions of rows must not be
                    // held in memory, nor its pages cached at the writer's size
                    try {
                        handle.execute("PRAGMA cache_size = " + pooled[0]);
                        handle.execute("PRAGMA wal_autocheckpoint = " + pooled[1]);
                        handle.execute("PRAGMA temp_store = " + pooled[2]);
                    } catch (RuntimeException e) {
                        LOG.debug("restoring the writer session's connection settings failed", e);
                    }
                }
                try {
                    handle.close();
                } catch (RuntimeException e) {
                    LOG.debug("closing the writer session's connection failed", e);
                }
                handle = null;
            }
        }
    }

    private static long pragma(Handle h, String name) {
        return h.createQuery("PRAGMA " + name).mapTo(Long.class).one();
    }

    @Override
    public <T> T read(Function<StorageTx, T> work) {
        try {
            return jdbi.withHandle(h -> work.apply(new JdbcTx(h)));
        } catch (JdbiException e) {
            throw translate(e);
        }
    }

    private static StorageException translate(JdbiException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return new StorageException("storage operation failed: " + root.getMessage(), e);
    }

    @Override
    public TenantStore tenants() {
        return tenants;
    }

    @Override
    public TokenStore tokens() {
        return tokens;
    }

    @Override
    public AuditStore audit() {
        return audit;
    }

    @Override
    public UsageStore usage() {
        return usage;
    }

    @Override
    public LimitStore limits() {
        return limits;
    }

    @Override
    public dev.tokenkeeper.internal.storage.CounterStore counters() {
        return counters;
    }

    @Override
    public dev.tokenkeeper.internal.storage.LeaseStore leases() {
        return leases;
    }

    @Override
    public PriceStore prices() {
        return prices;
    }

    @Override
    public SettingsStore settings() {
        return settings;
    }

    @Override
    public dev.tokenkeeper.StorageBackend backend() {
        return dialect.backend();
    }

    @Override
    public StorageHealth health() {
        long start = System.nanoTime();
        try {
            String version = jdbi.withHandle(h -> h.createQuery("SELECT version FROM " + HISTORY_TABLE
                            + " WHERE success = TRUE AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")
                    .mapTo(String.class)
                    .findOne()
                    .orElse(null));
            return new StorageHealth(
                    true, dialect.backend(), version, Duration.ofNanos(System.nanoTime() - start), null);
        } catch (JdbiException e) {
            return new StorageHealth(
                    false,
                    dialect.backend(),
                    null,
                    Duration.ofNanos(System.nanoTime() - start),
                    translate(e).getMessage());
        }
    }

    @Override
    public void close() {
        closeQuietly(checkpointer);
        closeQuietly(ownedPool);
    }

    private static void closeQuietly(@Nullable AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing the connection pool failed", e);
        }
    }
}
