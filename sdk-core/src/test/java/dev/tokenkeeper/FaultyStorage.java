package dev.tokenkeeper;

import dev.tokenkeeper.internal.storage.AuditStore;
import dev.tokenkeeper.internal.storage.CounterStore;
import dev.tokenkeeper.internal.storage.HourlyRollup;
import dev.tokenkeeper.internal.storage.LeaseStore;
import dev.tokenkeeper.internal.storage.LimitStore;
import dev.tokenkeeper.internal.storage.PriceStore;
import dev.tokenkeeper.internal.storage.SettingsStore;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.TenantStore;
import dev.tokenkeeper.internal.storage.TokenStore;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.storage.UsageStore;
import dev.tokenkeeper.internal.storage.WriterSession;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageQuery;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A storage that does what the real one does, except that a test can hook the ledger's writes: the
 * hook runs inside the write transaction, after a batch's events were inserted and before their
 * roll-ups, and may block (to hold the writer) or throw (to kill the batch, which rolls back).
 */
final class FaultyStorage implements Storage {
    private final Storage real;
    private final UsageStore usage;
    private final LeaseStore leases;
    private volatile @Nullable Consumer<List<UsageRow>> afterEventsInserted;
    private volatile boolean failLeaseShrinks;
    private volatile @Nullable Runnable onWriterIdle;
    private final java.util.concurrent.Semaphore writerIdles = new java.util.concurrent.Semaphore(0);

    FaultyStorage(Storage real) {
        this.real = real;
        this.usage = new HookedUsageStore(real.usage());
        LeaseStore realLeases = real.leases();
        // every call goes to the real store, except a lease's shrink while failLeaseShrinks is set
        this.leases = (LeaseStore) Proxy.newProxyInstance(
                LeaseStore.class.getClassLoader(), new Class<?>[] {LeaseStore.class}, (proxy, method, args) -> {
                    if (failLeaseShrinks && method.getName().equals("shrinkLease")) {
                        throw new StorageException("shrinkLease failed on purpose", null);
                    }
                    try {
                        return method.invoke(realLeases, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** While {@code fail}, giving a lease's free units back fails as if the database did not answer. */
    void failLeaseShrinks(boolean fail) {
        this.failLeaseShrinks = fail;
    }

    /** Runs {@code hook} in every batch's transaction after its events were inserted. */
    void afterEventsInserted(Consumer<List<UsageRow>> hook) {
        this.afterEventsInserted = hook;
    }

    private final class HookedUsageStore implements UsageStore {
        private final UsageStore store;

        HookedUsageStore(UsageStore store) {
            this.store = store;
        }

        @Override
        public boolean[] insertEvents(StorageTx tx, List<UsageRow> rows) {
            boolean[] inserted = store.insertEvents(tx, rows);
            Consumer<List<UsageRow>> hook = afterEventsInserted;
            if (hook != null) {
                hook.accept(rows);
            }
            return inserted;
        }

        @Override
        public void addToRollups(StorageTx tx, Collection<HourlyRollup> increments) {
            store.addToRollups(tx, increments);
        }

        @Override
        public List<Keyed<Long>> totalsByHour(StorageTx tx, UsageQuery q) {
            return store.totalsByHour(tx, q);
        }

        @Override
        public List<Keyed<String>> totalsBy(StorageTx tx, UsageQuery q, UsageDimension dimension, int limit) {
            return store.totalsBy(tx, q, dimension, limit);
        }

        @Override
        public List<UsageRow> traces(StorageTx tx, TraceQuery q, @Nullable String beforeId, int limit) {
            return store.traces(tx, q, beforeId, limit);
        }

        @Override
        public Optional<UsageRow> trace(StorageTx tx, String tenantId, String id) {
            return store.trace(tx, tenantId, id);
        }

        @Override
        public int purgeBefore(StorageTx tx, String tenantId, long cutoff, int limit) {
            return store.purgeBefore(tx, tenantId, cutoff, limit);
        }
    }

    @Override
    public <T> T write(Function<StorageTx, T> work) {
        return real.write(work);
    }

    @Override
    public WriterSession openWriterSession() {
        WriterSession session = real.openWriterSession();
        return new WriterSession() {
            private volatile boolean wrote;

            @Override
            public <T> T write(Function<StorageTx, T> work) {
                T result = session.write(work);
                wrote = true;
                return result;
            }

            @Override
            public void idle() {
                session.idle();
                if (wrote) {
                    wrote = false;
                    Runnable hook = onWriterIdle;
                    if (hook != null) {
                        hook.run();
                    }
                    writerIdles.release();
                }
            }

            @Override
            public void close() {
                session.close();
            }
        };
    }

    /** Runs {@code hook} each time the ledger's writer session goes idle after it wrote. */
    void onWriterIdle(Runnable hook) {
        this.onWriterIdle = hook;
    }

    /** Waits up to {@code max} for the writer session to go idle after it wrote (once per call). */
    boolean awaitWriterIdle(java.time.Duration max) throws InterruptedException {
        return writerIdles.tryAcquire(max.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public <T> T read(Function<StorageTx, T> work) {
        return real.read(work);
    }

    @Override
    public TenantStore tenants() {
        return real.tenants();
    }

    @Override
    public TokenStore tokens() {
        return real.tokens();
    }

    @Override
    public AuditStore audit() {
        return real.audit();
    }

    @Override
    public UsageStore usage() {
        return usage;
    }

    @Override
    public SettingsStore settings() {
        return real.settings();
    }

    @Override
    public PriceStore prices() {
        return real.prices();
    }

    @Override
    public LimitStore limits() {
        return real.limits();
    }

    @Override
    public CounterStore counters() {
        return real.counters();
    }

    @Override
    public LeaseStore leases() {
        return leases;
    }

    @Override
    public StorageBackend backend() {
        return real.backend();
    }

    @Override
    public StorageHealth health() {
        return real.health();
    }

    @Override
    public void close() {
        real.close();
    }
}
