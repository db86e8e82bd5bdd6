package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.StorageHealth;
import java.util.function.Function;

/**
 * A storage backend: transactions and the per-aggregate stores. Implementations translate driver
 * exceptions into {@link dev.tokenkeeper.StorageException}; a {@link dev.tokenkeeper.TokenKeeperException}
 * thrown by the work rolls the transaction back and propagates unchanged.
 */
public interface Storage extends AutoCloseable {
    /** Runs {@code work} in one read-write transaction. */
    <T> T write(Function<StorageTx, T> work);

    /** A write session for one thread that keeps its connection and prepared statements. */
    WriterSession openWriterSession();

    /** Runs {@code work} without a transaction (each statement sees committed data). */
    <T> T read(Function<StorageTx, T> work);

    TenantStore tenants();

    TokenStore tokens();

    AuditStore audit();

    UsageStore usage();

    SettingsStore settings();

    PriceStore prices();

    LimitStore limits();

    CounterStore counters();

    LeaseStore leases();

    dev.tokenkeeper.StorageBackend backend();

    StorageHealth health();

    @Override
    void close();
}
