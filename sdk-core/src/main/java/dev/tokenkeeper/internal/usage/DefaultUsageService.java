package dev.tokenkeeper.internal.usage;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.internal.Listeners;
import dev.tokenkeeper.internal.limits.Budgets;
import dev.tokenkeeper.internal.limits.LimitAlerts;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitAlert;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.internal.storage.HourlyRollup;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.UsageStore;
import dev.tokenkeeper.internal.storage.WriterSession;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.internal.util.Json;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.internal.DefaultPricingService;
import dev.tokenkeeper.internal.DefaultPricingService.PicoCost;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.Granularity;
import dev.tokenkeeper.usage.LedgerFullException;
import dev.tokenkeeper.usage.LedgerOverflowPolicy;
import dev.tokenkeeper.usage.LedgerStats;
import dev.tokenkeeper.usage.RecordedUsage;
import dev.tokenkeeper.usage.UsageBreakdown;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageEvent;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageSeries;
import dev.tokenkeeper.usage.UsageService;
import dev.tokenkeeper.usage.UsageTotals;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger: validation and exact cost at {@link #record}, then a bounded queue and one writer that
 * commits batches of events together with their hourly roll-ups in one transaction (or, in
 * synchronous mode, the same write before {@code record} returns).
 */
public final class DefaultUsageService implements UsageService {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultUsageService.class);
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    /** Request ids remembered at most for recognising re-stamped retries. */
    static final int RECENT_REQUESTS = 1_000_000;

    /** A test hook run inside the write transaction, after the events and before the roll-ups. */
    public interface FaultInjector {
        void afterEventsInserted(List<UsageRow> batch);
    }

    private sealed interface Item permits Pending, FlushMarker {}

    /**
     * A queued event with what it adds to the budget counters, and whether those were added to this
     * instance's counters already.
     *
     * @param remember the request key of a permit's event, for the writer to remember (see
     *     {@link #rememberSettled}); {@code null} when the caller looked the request up already
     */
    private record Pending(UsageRow row, EventIds.@Nullable RequestKey remember, List<LimitCharge> charges,
            boolean counted, List<String> reservations, List<Budgets.LeaseUse> leaseUses, long queuedAt)
            implements Item {
        Pending withFirstAttempt(long firstAt) {
            UsageRow r = row.withIdAndTime(EventIds.of(firstAt, requireNonNull(remember)), firstAt);
            return new Pending(r, null, charges, counted, reservations, leaseUses, queuedAt);
        }
    }

    private record FlushMarker(CountDownLatch done) implements Item {}

    private final Storage storage;
    private final Clock clock;
    private final DefaultPricingService pricing;
    private final Budgets budgets;
    private final LimitAlerts limitAlerts;
    private final LedgerSettings settings;
    private final BlockingQueue<Item> queue;
    private final Cache<String, Boolean> knownTenants = Caffeine.newBuilder().maximumSize(10_000).build();
    private final RecentRequests recent;
    private final Listeners listeners;
    private static final long NO_BATCH = Long.MIN_VALUE;
    private static final String DENIED = dev.tokenkeeper.usage.CallOutcome.DENIED.name();
    /** Refusals traced per token and minute, at most; the rest are counted in {@code refusalsNotTraced}. */
    private final Cache<String, java.util.concurrent.atomic.AtomicInteger> refusalsByToken;
    private final LongAdder refusalsNotTraced = new LongAdder();
    private final LongAdder written = new LongAdder();
    /** Events put in the queue, and taken from it by the writer: their difference is what waits. */
    private final LongAdder enqueued = new LongAdder();
    private final LongAdder taken = new LongAdder();
    /** Events in the batch being committed now. */
    private volatile int writing;
    /** When the oldest event of the batch being committed was queued (the clock's millis), or NO_BATCH. */
    private volatile long writingSince = NO_BATCH;
    /** The writer's recent commit rate, events per millisecond (0 until it has committed). */
    private volatile double eventsPerMilli;
    /** Callers waiting for the lag to fall under ledgerMaxLag wait on it; the writer wakes them. */
    private final Object lagFell = new Object();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder failedBatches = new LongAdder();
    private final LongAdder poisoned = new LongAdder();
    private final @Nullable Thread writer;
    /** Synchronous mode: each caller writes through a pooled connection of its own. */
    private final WriterSession pooled = new WriterSession() {
        @Override
        public <T> T write(Function<StorageTx, T> work) {
            return storage.write(work);
        }

        @Override
        public void close() {}
    };
    private volatile boolean accepting = true;
    private volatile boolean stopping;
    private volatile @Nullable FaultInjector faultInjector;

    public DefaultUsageService(Storage storage, Clock clock, DefaultPricingService pricing, Budgets budgets,
            LimitAlerts limitAlerts, Listeners listeners, LedgerSettings settings,
            ThreadFactory threads) {
        this.listeners = listeners;
        this.storage = storage;
        this.clock = clock;
        this.pricing = pricing;
        this.budgets = budgets;
        this.limitAlerts = limitAlerts;
        this.settings = settings;
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        this.recent = new RecentRequests(clock, settings.idempotencyWindow(), RECENT_REQUESTS);
        this.refusalsByToken = Caffeine.newBuilder().maximumSize(100_000)
                .expireAfterWrite(Duration.ofMinutes(1)).ticker(dev.tokenkeeper.internal.util.Ticker.of(clock)::read).build();
        if (settings.synchronous()) {
            this.writer = null;
        } else {
            Thread t = threads.newThread(this::runWriter);
            t.setName("tokenkeeper-ledger-writer");
            t.setDaemon(true);
            this.writer = t;
            t.start();
        }
    }

    // ------------------------------------------------------------------ record

    @Override
    public RecordedUsage record(UsageEvent event) {
        return record(event, List.of(), false, null);
    }

    /**
     * Records the event of a permit, turning the permit's reservations into the event's usage. When
     * this throws, the reservations are released and nothing was recorded.
     */
    public RecordedUsage recordSettled(UsageEvent event, List<Budgets.Hold> holds, @Nullable List<Limit> applicable) {
        return record(event, holds, true, applicable);
    }

    /**
     * @param settled the event of a permit: its request settles once (the permit sees to that), so the
     *     caller does not look it up among the recent requests; the writer remembers it instead, and
     *     maps it to an earlier attempt recorded under the same request id, if one exists
     * @param applicable the limits that apply to the event when known to be current, else {@code null}
     */
    private RecordedUsage record(UsageEvent event, List<Budgets.Hold> holds, boolean settled,
            @Nullable List<Limit> applicable) {
        if (!accepting) {
            budgets.release(holds);
            throw new IllegalStateException("TokenKeeper is closed");
        }
        try {
            requireTenant(event.tenantId());
        } catch (RuntimeException e) {
            budgets.release(holds);
            throw e;
        }
        long requestedAt = event.at() != null ? event.at().toEpochMilli() : clock.millis();
        EventIds.RequestKey key = EventIds.key(event.tenantId(), event.requestId());
        // Within the idempotency window a retry maps to the first attempt's id, even if re-stamped. A
        // permit's event is looked up by the writer (see rememberSettled), off the caller's path.
        boolean writerRemembers = settled && writer != null;
        long firstAt = writerRemembers ? RecentRequests.NONE : recent.firstAt(key, requestedAt);
        boolean firstSeen = firstAt == RecentRequests.NONE;
        long at = firstSeen ? requestedAt : firstAt;
        List<LimitCharge> charges = List.of();
        boolean counted = false;
        boolean holdsDone = false;
        List<String> reservations = List.of();
        List<Budgets.LeaseUse> leaseUses = List.of();
        try {
            TokenCounts c = event.counts();
            PicoCost cost = pricing.picoCost(event.provider(), event.model(), c, at);
            UsageRow row = new UsageRow(EventIds.of(at, key), event.tenantId(), event.requestId(), at, event.tokenId(),
                    event.userId(), event.projectId(), event.provider(), event.model(), c.input(), c.cachedInput(),
                    c.cacheWrite(), c.output(), c.reasoning(), cost.input(), cost.cachedInput(), cost.cacheWrite(),
                    cost.output(), cost.reasoning(), cost.total(), cost.priceMissing(), event.latency().toMillis(),
                    event.outcome().name(), event.source().name(), event.errorMessage(),
                    event.metadata().isEmpty() ? "{}" : Json.write(event.metadata()));
            charges = budgets.charges(applicable != null ? applicable : budgets.applicable(event.tenantId(),
                    event.userId(), event.projectId(), event.tokenId(), event.runId(), event.provider(),
                    event.model()), at, c, cost.total());
            // The budget counters see the usage at once; a retry seen before adds nothing. (A retry the
            // writer finds stored already is taken back after its batch commits.)
            if (firstSeen && (!charges.isEmpty() || !holds.isEmpty())) {
                budgets.settle(charges, holds, c, cost.total());
                counted = !charges.isEmpty();
                // reservations held in the database are released by the writer, with the event
                reservations = sharedReservations(holds);
                // usage taken from leases leaves them when the writer commits it
                leaseUses = budgets.leaseUses(holds, c, cost.total());
            } else {
                budgets.release(holds);
            }
            holdsDone = true;
            Pending pending = new Pending(row, writerRemembers ? key : null, charges, counted, reservations,
                    leaseUses, clock.millis());
            RecordedUsage recorded;
            if (settings.synchronous()) {
                write(pooled, List.of(pending));
                recorded = new RecordedUsage(row.id(), cost.toCost(), true);
            } else {
                enqueue(pending);
                recorded = new RecordedUsage(row.id(), cost.toCost(), false);
            }
            if (!listeners.isEmpty() && firstSeen) {
                listeners.recorded(event, recorded);
            }
            return recorded;
        } catch (RuntimeException e) {
            if (counted) {
                budgets.add(charges, -1); // takes the usage back; the reservations went with the settle
            } else if (!holdsDone) {
                budgets.release(holds);
            }
            budgets.releaseReservations(reservations);
            budgets.leaseUsage(leaseUses, false);
            if (firstSeen && !writerRemembers) {
                recent.forget(key); // not recorded: a retry is a first attempt
            }
            throw e;
        }
    }

    /**
     * Traces a call that {@code authorize} refused after the token was verified: its reason, the limit
     * concerned, the token, provider and model; no tokens, no cost, no budget. At most
     * {@code refusalTracesPerMinute} a token per minute, so that a runaway agent's storm of refusals
     * cannot flood the ledger; the rest are counted in {@link LedgerStats#refusalsNotTraced()}. Never
     * throws: a refusal that cannot be queued is counted the same way.
     */
    public void traceRefusal(Principal p, CallRequest call, Denial d) {
        int perMinute = settings.refusalTracesPerMinute();
        if (perMinute == 0) {
            refusalsNotTraced.increment();
            return;
        }
        var seen = refusalsByToken.get(p.tokenId(), k -> new java.util.concurrent.atomic.AtomicInteger());
        if (seen.incrementAndGet() > perMinute || !accepting) {
            refusalsNotTraced.increment();
            return;
        }
        try {
            long at = clock.millis();
            String requestId = call.requestId() != null ? call.requestId() : Ids.uuid7(clock);
            Map<String, String> meta = new java.util.LinkedHashMap<>();
            meta.put("denial_reason", d.reason().name().toLowerCase(java.util.Locale.ROOT));
            if (d.limit() != null) {
                meta.put("limit_id", d.limit().id());
            }
            if (call.runId() != null) {
                meta.put(UsageEvent.RUN_ID, call.runId());
            }
            String message = d.message().length() > UsageEvent.MAX_ERROR_LENGTH
                    ? d.message().substring(0, UsageEvent.MAX_ERROR_LENGTH) : d.message();
            UsageRow row = new UsageRow(EventIds.of(at, EventIds.key(p.tenantId(), requestId)), p.tenantId(), requestId,
                    at, p.tokenId(), p.userId(), p.projectId(), call.provider(), call.model(), 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, false, 0, DENIED, dev.tokenkeeper.usage.UsageSource.ESTIMATED.name(), message,
                    Json.write(meta));
            Pending pending = new Pending(row, null, List.of(), false, List.of(), List.of(), at);
            if (writer == null) {
                write(pooled, List.of(pending));
            } else if (queue.offer(pending)) {
                enqueued.increment();
            } else {
                refusalsNotTraced.increment();
            }
        } catch (RuntimeException e) {
            refusalsNotTraced.increment();
            LOG.debug("TokenKeeper: a refusal of token {} was not traced: {}", p.tokenId(), e.toString());
        }
    }

    /** The ids of the reservations held in the database (shared budgets), without a stream per call. */
    private static List<String> sharedReservations(List<Budgets.Hold> holds) {
        List<String> ids = null;
        for (Budgets.Hold h : holds) {
            if (h.shared()) {
                if (ids == null) {
                    ids = new ArrayList<>(holds.size());
                }
                ids.add(h.reservationId());
            }
        }
        return ids == null ? List.of() : ids;
    }

    private void requireTenant(String tenantId) {
        if (knownTenants.getIfPresent(tenantId) != null) {
            return;
        }
        boolean exists = tenantId.startsWith("_")
                ? false
                : storage.read(tx -> storage.tenants().find(tx, tenantId)).isPresent();
        if (!exists) {
            throw new NotFoundException(ErrorCode.TENANT_NOT_FOUND, "tenant '" + tenantId + "' does not exist");
        }
        knownTenants.put(tenantId, Boolean.TRUE);
    }

    private void enqueue(Pending item) {
        if (lagOverBound() && !awaitLag()) {
            refused.increment();
            throw new LedgerFullException("the usage ledger is more than ledgerMaxLag (" + settings.maxLag()
                    + ") behind; the event was not recorded");
        }
        if (!offer(item)) {
            refused.increment();
            throw new LedgerFullException("the usage ledger's queue is full (" + settings.queueCapacity()
                    + " events); the event was not recorded");
        }
        enqueued.increment();
    }

    private boolean offer(Item item) {
        if (settings.overflowPolicy() == LedgerOverflowPolicy.REJECT) {
            return queue.offer(item);
        }
        try {
            return queue.offer(item, settings.blockTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Whether accepting one more event could leave an event unwritten for longer than ledgerMaxLag
     * (when set): the oldest unwritten event's age, plus the time the writer needs for what is queued
     * at the rate it has been committing, passes the bound. (The age alone is not enough: a queue
     * filled within the bound can take far longer than the bound to write.)
     */
    private boolean lagOverBound() {
        Duration max = settings.maxLag();
        if (max == null) {
            return false;
        }
        long since = writingSince;
        long lag = since == NO_BATCH ? 0 : clock.millis() - since;
        double rate = eventsPerMilli;
        double backlog = rate > 0 ? (enqueued.sum() - taken.sum()) / rate : 0;
        return lag + backlog > max.toMillis();
    }

    /** Under BLOCK, waits up to the block timeout for the lag to fall within its bound. */
    private boolean awaitLag() {
        if (settings.overflowPolicy() == LedgerOverflowPolicy.REJECT) {
            return false;
        }
        long deadline = System.nanoTime() + settings.blockTimeout().toNanos();
        synchronized (lagFell) {
            while (lagOverBound()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    lagFell.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ analytics

    @Override
    public UsageTotals totals(UsageQuery query) {
        UsageTotals sum = UsageTotals.ZERO;
        for (UsageStore.Keyed<Long> hour : storage.read(tx -> storage.usage().totalsByHour(tx, query))) {
            sum = sum.plus(hour.totals());
        }
        return sum;
    }

    @Override
    public UsageSeries series(UsageQuery query, Granularity granularity, ZoneId zone) {
        requireNonNull(granularity, "granularity");
        requireNonNull(zone, "zone");
        Instant from = query.hourFrom();
        Instant to = query.hourTo();
        TreeMap<Instant, UsageTotals> buckets = new TreeMap<>();
        for (Instant b = bucketStart(from, granularity, zone); b.isBefore(to); b = nextBucket(b, granularity, zone)) {
            buckets.put(b, UsageTotals.ZERO);
        }
        for (UsageStore.Keyed<Long> hour : storage.read(tx -> storage.usage().totalsByHour(tx, query))) {
            Instant b = bucketStart(Instant.ofEpochMilli(hour.key()), granularity, zone);
            buckets.merge(b, hour.totals(), UsageTotals::plus);
        }
        List<UsageSeries.Point> points = new ArrayList<>(buckets.size());
        buckets.forEach((start, totals) -> points.add(new UsageSeries.Point(start, totals)));
        return new UsageSeries(zone, granularity, from, to, !wholeHourOffsets(zone, from, to), points);
    }

    @Override
    public UsageBreakdown breakdown(UsageQuery query, UsageDimension dimension, int limit) {
        requireNonNull(dimension, "dimension");
        Checks.pageLimit("limit", limit);
        List<UsageBreakdown.Row> rows = new ArrayList<>();
        for (UsageStore.Keyed<String> g : storage.read(tx -> storage.usage().totalsBy(tx, query, dimension, limit))) {
            rows.add(new UsageBreakdown.Row(g.key(), g.totals()));
        }
        return new UsageBreakdown(dimension, query.hourFrom(), query.hourTo(), rows);
    }

    /** Series buckets are the calendar windows that limits count in: one definition of hour, day, week, month. */
    private static LimitPeriod period(Granularity g) {
        return switch (g) {
            case HOUR -> LimitPeriod.HOUR;
            case DAY -> LimitPeriod.DAY;
            case WEEK -> LimitPeriod.WEEK;
            case MONTH -> LimitPeriod.MONTH;
        };
    }

    static Instant bucketStart(Instant t, Granularity g, ZoneId zone) {
        return period(g).windowOf(t, zone).start();
    }

    static Instant nextBucket(Instant start, Granularity g, ZoneId zone) {
        return requireNonNull(period(g).windowOf(start, zone).end());
    }

    /** Whether the zone's offset is a whole number of hours throughout [from, to). */
    static boolean wholeHourOffsets(ZoneId zone, Instant from, Instant to) {
        ZoneRules rules = zone.getRules();
        if (rules.getOffset(from).getTotalSeconds() % 3600 != 0) {
            return false;
        }
        for (ZoneOffsetTransition t = rules.nextTransition(from); t != null && t.getInstant().isBefore(to);
                t = rules.nextTransition(t.getInstant())) {
            if (t.getOffsetAfter().getTotalSeconds() % 3600 != 0) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ flush

    @Override
    public void flush() {
        if (writer == null) {
            return;
        }
        if (!writer.isAlive()) {
            if (!queue.isEmpty()) {
                throw new IllegalStateException("the ledger writer has stopped with " + queue.size() + " events queued");
            }
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        try {
            queue.put(new FlushMarker(done));
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public LedgerStats stats() {
        long since = writingSince;
        long waiting = Math.max(0, enqueued.sum() - taken.sum());
        long oldest = since;
        if (oldest == NO_BATCH && waiting > 0 && queue.peek() instanceof Pending p) {
            oldest = p.queuedAt();
        }
        Duration lag = oldest == NO_BATCH ? Duration.ZERO : Duration.ofMillis(Math.max(0, clock.millis() - oldest));
        return new LedgerStats(waiting, since == NO_BATCH ? 0 : writing, written.sum(), duplicates.sum(),
                refused.sum(), poisoned.sum(), failedBatches.sum(), lag, refusalsNotTraced.sum());
    }

    public void setFaultInjector(@Nullable FaultInjector injector) {
        this.faultInjector = injector;
    }

    /**
     * Stops accepting events, writes everything queued and stops the writer. Waits up to the close
     * timeout; what could not be written by then is counted and logged as lost.
     */
    public void close() {
        accepting = false;
        if (writer == null) {
            return;
        }
        stopping = true;
        try {
            writer.join(settings.closeTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            writer.interrupt();
            long lost = queue.stream().filter(i -> i instanceof Pending).count();
            LOG.error("TokenKeeper ledger: {} usage events could not be written within {} and are lost",
                    lost, settings.closeTimeout());
        }
    }

    // ------------------------------------------------------------------ writer

    private void runWriter() {
        try (WriterSession session = storage.openWriterSession()) {
            runWriter(session);
        }
    }

    private void runWriter(WriterSession session) {
        List<Item> items = new ArrayList<>(settings.batchSize());
        long flushMillis = settings.flushInterval().toMillis();
        while (true) {
            try {
                Item first = queue.poll(flushMillis, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (stopping && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                items.add(first);
                queue.drainTo(items, settings.batchSize() - 1);
                try {
                    List<Pending> rows = new ArrayList<>(items.size());
                    for (Item i : items) {
                        if (i instanceof Pending p) {
                            rows.add(rememberSettled(p));
                        }
                    }
                    if (!rows.isEmpty()) {
                        // counted as in commit before they stop counting as queued: never as neither
                        writing = rows.size();
                        writingSince = rows.get(0).queuedAt();
                        taken.add(rows.size());
                        long started = System.nanoTime();
                        writeBatch(session, rows);
                        double batchRate = rows.size() / Math.max(1e-3, (System.nanoTime() - started) / 1e6);
                        // the writer's recent rate (events per ms of commit), for ledgerMaxLag's backlog
                        eventsPerMilli = eventsPerMilli == 0 ? batchRate : 0.8 * eventsPerMilli + 0.2 * batchRate;
                    }
                } finally {
                    writingSince = NO_BATCH;
                    synchronized (lagFell) {
                        lagFell.notifyAll();
                    }
                    for (Item i : items) {
                        if (i instanceof FlushMarker m) {
                            m.done().countDown();
                        }
                    }
                    items.clear();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("TokenKeeper ledger writer: unexpected failure; continuing", e);
            }
        }
    }

    /**
     * Remembers a permit's event among the recent requests. If an earlier attempt under the same
     * request id was recorded with another time (a re-stamped record of that request), the event
     * takes that attempt's id and time: stored already, it is then a duplicate, and what its permit
     * counted is taken back after the batch, as for any duplicate; not stored yet, the later one is.
     */
    private Pending rememberSettled(Pending p) {
        EventIds.RequestKey key = p.remember();
        if (key == null) {
            return p;
        }
        long firstAt = recent.firstAt(key, p.row().at());
        return firstAt == RecentRequests.NONE || firstAt == p.row().at() ? p : p.withFirstAttempt(firstAt);
    }

    /**
     * Writes the batch: retried while the database is unavailable; retried once more when the
     * database answers (a transient conflict); then split, to isolate the events that cannot be
     * stored, which are dropped, counted and logged in one line for the batch.
     */
    private void writeBatch(WriterSession session, List<Pending> rows) throws InterruptedException {
        List<Pending> dropped = new ArrayList<>();
        String[] firstError = new String[1];
        writeUntilDone(session, rows, dropped, firstError);
        if (!dropped.isEmpty()) {
            StringBuilder ids = new StringBuilder();
            for (int i = 0; i < Math.min(5, dropped.size()); i++) {
                UsageRow r = dropped.get(i).row();
                ids.append(i == 0 ? "" : ", ").append(r.id()).append(" (tenant ").append(r.tenantId()).append(')');
            }
            LOG.error("TokenKeeper ledger: {} of {} events of a batch cannot be stored and were dropped ({}{}): {}",
                    dropped.size(), rows.size(), ids, dropped.size() > 5 ? ", ..." : "", firstError[0]);
        }
    }

    private void writeUntilDone(WriterSession session, List<Pending> rows, List<Pending> dropped,
            String[] firstError) throws InterruptedException {
        long backoff = 50;
        int failuresWhileUp = 0;
        while (true) {
            try {
                write(session, rows);
                return;
            } catch (RuntimeException e) {
                failedBatches.increment();
                boolean up = storage.health().up();
                if (up && ++failuresWhileUp >= 2) {
                    // The database answers and the batch failed twice: the batch itself is at fault.
                    if (rows.size() == 1) {
                        Pending p = rows.get(0);
                        poisoned.increment();
                        if (p.counted()) {
                            budgets.add(p.charges(), -1);
                        }
                        budgets.releaseReservations(p.reservations());
                        budgets.leaseUsage(p.leaseUses(), false);
                        dropped.add(p);
                        if (firstError[0] == null) {
                            firstError[0] = e.getMessage();
                        }
                        return;
                    }
                    int mid = rows.size() / 2;
                    writeUntilDone(session, rows.subList(0, mid), dropped, firstError);
                    writeUntilDone(session, rows.subList(mid, rows.size()), dropped, firstError);
                    return;
                }
                if (up) {
                    // The database answers: retry once at once (a conflict passes); no wait, or a batch of
                    // events that all fail would take a wait per event to be taken apart. Only the whole
                    // batch's first failure is a warning; its parts' are details.
                    if (dropped.isEmpty() && firstError[0] == null) {
                        LOG.warn("TokenKeeper ledger: writing {} events failed; retrying once: {}", rows.size(),
                                e.getMessage());
                        firstError[0] = e.getMessage();
                    } else {
                        LOG.debug("TokenKeeper ledger: writing {} events failed; retrying once: {}", rows.size(),
                                e.getMessage());
                    }
                    continue;
                }
                LOG.warn("TokenKeeper ledger: writing {} events failed, retrying in {} ms: {}",
                        rows.size(), backoff, e.getMessage());
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }

    /** One transaction: the events (skipping those already recorded) and the roll-ups of the new ones. */
    @SuppressWarnings("ArrayRecordComponent") // a transaction's result, read once, never compared
    private record Committed(boolean[] inserted, List<LimitAlert> alerts) {}

    private void write(WriterSession session, List<Pending> items) {
        List<UsageRow> rows = new ArrayList<>(items.size());
        for (Pending p : items) {
            rows.add(p.row());
        }
        Committed committed = session.write(tx -> {
            boolean[] inserted = storage.usage().insertEvents(tx, rows);
            FaultInjector f = faultInjector;
            if (f != null) {
                f.afterEventsInserted(rows);
            }
            Map<HourlyRollup.Key, HourlyRollup.Sums> sums = new HashMap<>();
            TreeMap<LimitCharge.Key, Long> counters = new TreeMap<>();
            for (int i = 0; i < inserted.length; i++) {
                if (inserted[i]) {
                    UsageRow row = rows.get(i);
                    if (!DENIED.equals(row.outcome())) { // refusals are traces only: analytics count calls made
                        sums.computeIfAbsent(HourlyRollup.Key.of(row), k -> new HourlyRollup.Sums()).add(row);
                    }
                    for (LimitCharge c : items.get(i).charges()) {
                        counters.merge(c.key(), c.units(), Long::sum);
                    }
                }
            }
            List<HourlyRollup> increments = new ArrayList<>(sums.size());
            sums.forEach((key, sum) -> increments.add(sum.toRollup(key)));
            storage.usage().addToRollups(tx, increments);
            // usage taken from leases leaves them: off the counters' reserved (with used, in key order)
            // and off the lease rows
            TreeMap<LimitCharge.Key, Long> reservedDeltas = new TreeMap<>();
            java.util.TreeMap<String, Long> leaseShrink = new java.util.TreeMap<>();
            Map<String, LimitCharge.Key> leaseKeys = new java.util.HashMap<>();
            for (int i = 0; i < items.size(); i++) {
                if (inserted[i]) {
                    for (Budgets.LeaseUse u : items.get(i).leaseUses()) {
                        LimitCharge.Key k = new LimitCharge.Key(u.lease().limitId(), u.lease().windowStart());
                        reservedDeltas.merge(k, -u.units(), Long::sum);
                        leaseShrink.merge(u.lease().id(), u.units(), Long::sum);
                        leaseKeys.put(u.lease().id(), k);
                    }
                }
            }
            Map<LimitCharge.Key, Long> totals = storage.limits().addToCounters(tx, counters, reservedDeltas);
            for (String gone : storage.limits().shrinkLeaseRows(tx, leaseShrink)) {
                // released by the sweep already: its counter gave its units back then
                LimitCharge.Key k = java.util.Objects.requireNonNull(leaseKeys.get(gone));
                storage.limits().addReserved(tx, k.limitId(), k.windowStart(),
                        java.util.Objects.requireNonNull(leaseShrink.get(gone)));
            }
            for (Pending p : items) {
                for (String rid : p.reservations()) {
                    storage.limits().releaseReservation(tx, rid); // the usage above replaces it
                }
            }
            return new Committed(inserted, limitAlerts.crossings(tx, counters, totals));
        });
        limitAlerts.announce(committed.alerts());
        boolean[] ok = committed.inserted();
        int n = 0;
        for (int i = 0; i < ok.length; i++) {
            budgets.leaseUsage(items.get(i).leaseUses(), ok[i]);
            if (ok[i]) {
                n++;
            } else if (items.get(i).counted()) {
                // stored before (by another instance, or before a restart): take back what was counted
                budgets.add(items.get(i).charges(), -1);
            }
        }
        written.add(n);
        duplicates.add(rows.size() - n);
    }
}
