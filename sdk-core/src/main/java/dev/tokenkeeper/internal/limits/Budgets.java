package dev.tokenkeeper.internal.limits;

import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.LimitStore.ScopeChange;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.FeedWindow;
import dev.tokenkeeper.internal.util.Ticker;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitScope;
import dev.tokenkeeper.limits.LimitWindow;
import dev.tokenkeeper.pricing.TokenCounts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The budget counters of this instance: per limit and window, what the ledger has counted
 * ({@code used}) and that plus the reservations of calls in flight ({@code claimed}). A counter is
 * loaded from {@code tk_limit_counters} on first use; afterwards every recorded event adds to it at
 * once (the ledger's writer adds the same amounts to the table, in the transaction of the event).
 * Reservations are compare-and-set loops on {@code claimed} against amount + grace, so concurrent
 * callers cannot overshoot and a call that fits is never refused.
 */
public final class Budgets {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Budgets.class);
    private final Storage storage;
    private final LoadingCache<ScopeKey, List<Limit>> limits;
    private final AtomicLong limitsVersion = new AtomicLong();
    private final ConcurrentHashMap<LimitCharge.Key, Counter> counters = new ConcurrentHashMap<>();

    private record ScopeKey(String tenantId, @Nullable String userId, @Nullable String projectId,
            @Nullable String tokenId, @Nullable String runId) {}

    /** One limit's counter in one window. */
    public static final class Counter {
        final AtomicLong claimed = new AtomicLong();
        final AtomicLong used = new AtomicLong();
        final long windowEnd;

        Counter(long used, long windowEnd) {
            this.used.set(used);
            this.claimed.set(used);
            this.windowEnd = windowEnd;
        }

        public long used() {
            return used.get();
        }

        public long claimed() {
            return claimed.get();
        }
    }

    /**
     * A reservation taken on one limit: on its window's counter (a budget), or in its token bucket
     * (a rolling-minute rate limit).
     */
    public record Hold(Limit limit, LimitWindow window, @Nullable Counter counter, @Nullable Bucket bucket, long units,
            long claimed, @Nullable String reservationId, Leases.@Nullable Lease lease) {
        /** Whether the reservation went beyond the limit's amount, into its grace. */
        public boolean inGrace() {
            return claimed > limit.amount();
        }

        /** Whether the reservation is held in the database (shared budgets). */
        public boolean shared() {
            return reservationId != null;
        }
    }

    /**
     * The outcome of a reservation over every applicable limit: all held, or the limit that refused,
     * with its window (a budget) or how long to wait (a rate limit).
     */
    public record Reservation(List<Hold> holds, @Nullable Limit refusedBy, @Nullable LimitWindow refusedWindow,
            @Nullable Duration retryAfter, boolean backendDown) {
        Reservation(List<Hold> holds, @Nullable Limit refusedBy, @Nullable LimitWindow refusedWindow,
                @Nullable Duration retryAfter) {
            this(holds, refusedBy, refusedWindow, retryAfter, false);
        }

        public boolean granted() {
            return refusedBy == null;
        }

        /** The limit that refused; only for a reservation not granted. */
        public Limit refuser() {
            return java.util.Objects.requireNonNull(refusedBy, "granted: no limit refused");
        }

        /** The window of the limit that refused; only for a reservation not granted. */
        public LimitWindow refuserWindow() {
            return java.util.Objects.requireNonNull(refusedWindow, "granted: no window refused");
        }
    }

    private final RateBuckets rateBuckets;
    private final @Nullable Leases leases;
    private final boolean rateFailOpen;
    private final java.util.concurrent.atomic.AtomicLong rateChecksSkipped = new java.util.concurrent.atomic.AtomicLong();
    private volatile long lastRateWarning;
    /** Elapsed time on the keeper's clock: the caches' expiry and refresh, the warning pace. */
    private final Ticker ticker;

    private final FeedWindow feed;
    private long lastPruneMillis = Long.MIN_VALUE / 2;
    private static final long PRUNE_EVERY_MILLIS = Duration.ofMinutes(10).toMillis();

    /**
     * @param limitSyncInterval how often {@link #syncLimits} runs: with the clock-skew margin, it sets
     *     how far back each read of the change feed looks
     */
    public Budgets(Storage storage, Clock clock, Duration limitSyncInterval, Duration clockSkewMargin,
            RateBuckets rateBuckets, StorageFailurePolicy rateLimitFailurePolicy, @Nullable Leases leases) {
        this.storage = storage;
        this.ticker = Ticker.of(clock);
        this.lastRateWarning = ticker.read() - 20_000_000_000L;
        this.feed = new FeedWindow(clock, clockSkewMargin, limitSyncInterval);
        this.leases = leases;
        this.rateBuckets = rateBuckets;
        this.rateFailOpen = rateLimitFailurePolicy == StorageFailurePolicy.FAIL_OPEN;
        // Kept current by the change feed (syncLimits), not by re-reading every cached scope each
        // interval: a refresh per scope and sync interval made 1,000 tokens cost 200 reads a second,
        // and their bursts doubled the average admission. An hourly refresh remains, in the
        // background while callers keep the old list: it catches a change made around the feed (in
        // the database by hand), and keeps the write time recent, so that while the database does
        // not answer the last known limits keep serving for an hour at least (two at most).
        Duration backstop = Duration.ofHours(1).compareTo(limitSyncInterval.multipliedBy(2)) > 0 ? Duration.ofHours(1)
                : limitSyncInterval.multipliedBy(2);
        this.limits = Caffeine.newBuilder()
                .ticker(ticker::read)
                .maximumSize(100_000)
                .refreshAfterWrite(backstop)
                .expireAfterWrite(backstop.multipliedBy(2))
                .build(new CacheLoader<ScopeKey, List<Limit>>() {
                    @Override
                    public List<Limit> load(ScopeKey k) {
                        return List.copyOf(storage.read(tx -> storage.limits().forScopes(tx, k.tenantId(),
                                k.userId(), k.projectId(), k.tokenId(), k.runId())));
                    }

                    @Override
                    public List<Limit> reload(ScopeKey k, List<Limit> old) {
                        List<Limit> now = load(k);
                        if (!now.equals(old)) {
                            // a change the feed did not carry; the list goes in just after this, so a
                            // call authorized in between may settle on the old list once
                            limitsVersion.incrementAndGet();
                        }
                        return now;
                    }
                });
    }

    /** The limits that apply to a call (cached; changed limits apply within the limit-sync interval). */
    public List<Limit> applicable(String tenantId, @Nullable String userId, @Nullable String projectId,
            @Nullable String tokenId, @Nullable String runId, String provider, String model) {
        List<Limit> all = limits.get(new ScopeKey(tenantId, userId, projectId, tokenId, runId));
        if (all.isEmpty()) {
            return all;
        }
        for (Limit l : all) {
            if (!l.matches(provider, model)) {
                List<Limit> matching = new ArrayList<>(all.size());
                for (Limit m : all) {
                    if (m.matches(provider, model)) {
                        matching.add(m);
                    }
                }
                return matching;
            }
        }
        return all; // the common case: every limit of this scope matches, and the cached list serves as is
    }

    /**
     * The rate limits that count HTTP requests themselves: rolling-minute limits of the metric
     * requests without a provider or model filter.
     */
    public List<Limit> requestRateLimits(String tenantId, @Nullable String userId, @Nullable String projectId,
            @Nullable String tokenId) {
        List<Limit> all = limits.get(new ScopeKey(tenantId, userId, projectId, tokenId, null));
        List<Limit> matching = new ArrayList<>();
        for (Limit l : all) {
            if (l.period().rolling() && l.metric() == LimitMetric.REQUESTS && l.provider() == null && l.model() == null) {
                matching.add(l);
            }
        }
        return matching;
    }

    /**
     * A limit of this scope was created, changed or deleted here (its transaction committed, with its
     * row in the change feed): the cached limits of the scopes it applies to are brought up to date
     * before this returns.
     */
    public void scopeChanged(ScopeChange change) {
        try {
            apply(Set.of(change));
        } catch (RuntimeException e) {
            // the database stopped answering after the commit: drop what may be stale instead
            limits.asMap().keySet().removeIf(k -> scopesOf(k).contains(change));
            limitsVersion.incrementAndGet();
        }
    }

    /**
     * Reads the limits change feed and brings the cached limits of every scope changed since the
     * previous read (less a margin for clock skew and transactions in flight) up to date: one read per
     * changed scope that some cached list includes, however many lists include it, while callers keep
     * using the limits they have. After a blind spell longer than the margin, every cached scope is dropped, since
     * changes may have been missed.
     */
    public synchronized void syncLimits() {
        FeedWindow.Read read = feed.begin();
        List<ScopeChange> changes = storage.read(tx -> storage.limits().changesSince(tx, read.since()));
        long nowNanos = feed.nowNanos();
        if (feed.lapsed(nowNanos)) {
            limits.invalidateAll();
            limitsVersion.incrementAndGet();
        } else if (!changes.isEmpty()) {
            apply(new HashSet<>(changes));
        }
        feed.completed(read, nowNanos);
        if (read.startMillis() - lastPruneMillis >= PRUNE_EVERY_MILLIS) {
            lastPruneMillis = read.startMillis();
            try {
                // rows no instance can still need: older than ten sync margins, and an hour
                long before = read.startMillis() - Math.max(Duration.ofHours(1).toMillis(), 10 * feed.marginMillis());
                storage.write(tx -> storage.limits().pruneChanges(tx, before));
            } catch (RuntimeException e) {
                LOG.debug("TokenKeeper: the limits change feed could not be pruned; will retry: {}", e.toString());
            }
        }
    }

    /**
     * Re-reads the limits of each changed scope that some cached list includes (once, however many
     * lists include it) and puts them into those lists: one pass over the cached keys, a few hash
     * lookups each, whatever the number of changes. A list replaced meanwhile (a load after an
     * invalidation) is left alone: it was read whole, and a later pass of the feed sees the change
     * again within the margin.
     */
    private void apply(Set<ScopeChange> changes) {
        Map<ScopeChange, List<Limit>> fresh = new HashMap<>();
        for (Map.Entry<ScopeKey, List<Limit>> e : limits.asMap().entrySet()) {
            List<Limit> old = e.getValue();
            List<Limit> now = old;
            for (ScopeChange c : scopesOf(e.getKey())) {
                if (changes.contains(c)) {
                    now = patched(now, c, fresh.computeIfAbsent(c, this::read));
                }
            }
            if (!now.equals(old)) {
                limits.asMap().replace(e.getKey(), old, now);
            }
        }
        // After the new lists are in (see limitsVersion), and even when none was cached: a permit in
        // flight may hold a list whose entry has left the cache since.
        limitsVersion.incrementAndGet();
    }

    private List<Limit> read(ScopeChange c) {
        return storage.read(tx -> storage.limits().list(tx, c.tenantId(), c.scope(), c.scopeId(), null,
                Integer.MAX_VALUE));
    }

    /** The scopes whose limits make up the list of this key: a change to any of them changes it. */
    private static List<ScopeChange> scopesOf(ScopeKey k) {
        List<ScopeChange> scopes = new ArrayList<>(5);
        scopes.add(new ScopeChange(k.tenantId(), LimitScope.TENANT, null));
        if (k.userId() != null) {
            scopes.add(new ScopeChange(k.tenantId(), LimitScope.USER, k.userId()));
        }
        if (k.projectId() != null) {
            scopes.add(new ScopeChange(k.tenantId(), LimitScope.PROJECT, k.projectId()));
        }
        if (k.tokenId() != null) {
            scopes.add(new ScopeChange(k.tenantId(), LimitScope.TOKEN, k.tokenId()));
        }
        if (k.runId() != null) {
            scopes.add(new ScopeChange(k.tenantId(), LimitScope.RUN, k.runId()));
        }
        return scopes;
    }

    /** The list with that scope's limits replaced by {@code scopeLimits}, in id order like a load. */
    private static List<Limit> patched(List<Limit> list, ScopeChange c, List<Limit> scopeLimits) {
        List<Limit> out = new ArrayList<>(list.size() + scopeLimits.size());
        for (Limit l : list) {
            if (l.scope() != c.scope() || !Objects.equals(l.scopeId(), c.scopeId())) {
                out.add(l);
            }
        }
        out.addAll(scopeLimits);
        out.sort(Comparator.comparing(Limit::id));
        return List.copyOf(out);
    }

    /**
     * Grows whenever the limits this instance applies may have changed (here, or as seen by a refresh
     * from the database): while it stays the same, a list {@link #applicable} returned is still current.
     */
    public long limitsVersion() {
        return limitsVersion.get();
    }

    /** A limit was deleted: its counters go. */
    public void forget(String limitId) {
        counters.keySet().removeIf(k -> k.limitId().equals(limitId));
        rateBuckets.forget(limitId);
        if (leases != null) {
            leases.forget(limitId);
        }
    }

    /** The rate-limit backend. */
    public RateBuckets rateBuckets() {
        return rateBuckets;
    }

    /** Rate-limit checks skipped because the backend did not answer (fail-open policy). */
    public long rateChecksSkipped() {
        return rateChecksSkipped.get();
    }

    /** The units of a call for a limit's metric. */
    public static long units(LimitMetric metric, TokenCounts counts, long costPicos) {
        return switch (metric) {
            case TOKENS -> counts.input() + counts.cachedInput() + counts.cacheWrite() + counts.output()
                    + counts.reasoning();
            case COST_USD -> costPicos;
            case REQUESTS -> 1;
        };
    }

    /** What an event adds to each limit that applies to it. */
    public List<LimitCharge> charges(List<Limit> applicable, long atMillis, TokenCounts counts, long costPicos) {
        if (applicable.isEmpty()) {
            return List.of();
        }
        Instant at = Instant.ofEpochMilli(atMillis);
        List<LimitCharge> charges = new ArrayList<>(applicable.size());
        for (Limit l : applicable) {
            if (l.period().rolling()) {
                continue; // a rate limit counts in its bucket only
            }
            LimitWindow w = l.windowAt(at);
            charges.add(new LimitCharge(l.id(), w.start().toEpochMilli(), end(w), units(l.metric(), counts, costPicos)));
        }
        return charges;
    }

    /** Adds (or, with {@code sign} -1, takes back) recorded usage to the counters. */
    public void add(List<LimitCharge> charges, int sign) {
        for (LimitCharge c : charges) {
            // loaded first if needed: the table does not hold this event yet (it is queued after this)
            Counter counter = counter(c.limitId(), c.windowStart(), c.windowEnd());
            counter.used.addAndGet(sign * c.units());
            counter.claimed.addAndGet(sign * c.units());
        }
    }

    private Counter counter(String limitId, long windowStart, long windowEnd) {
        LimitCharge.Key key = new LimitCharge.Key(limitId, windowStart);
        Counter c = counters.get(key); // the common case, without computeIfAbsent's lock and lambda
        return c != null ? c : counters.computeIfAbsent(key,
                k -> new Counter(storage.read(tx -> storage.limits().used(tx, limitId, windowStart)), windowEnd));
    }

    /** What calls in flight on this instance hold in the limit's window containing {@code at}. */
    public long reservedOnThisInstance(Limit limit, Instant at) {
        LimitWindow w = limit.windowAt(at);
        Counter c = counters.get(new LimitCharge.Key(limit.id(), w.start().toEpochMilli()));
        return c == null ? 0 : c.claimed() - c.used();
    }

    private static long end(LimitWindow w) {
        return w.end() == null ? Long.MAX_VALUE : w.end().toEpochMilli();
    }

    /**
     * Reserves {@code units[i]} on {@code limits.get(i)}'s current window for every limit, or none:
     * the first limit whose amount + grace cannot take its units refuses, and what was reserved
     * before it is given back.
     */
    public Reservation reserve(List<Limit> applicable, Instant at, long[] units) {
        List<Hold> holds = new ArrayList<>(applicable.size());
        for (int i = 0; i < applicable.size(); i++) {
            Limit l = applicable.get(i);
            LimitWindow w = l.windowAt(at);
            long n = units[i];
            if (l.period().rolling()) {
                n = l.metric().rateUnits(n); // a bucket counts dollars in microdollars
                long capacity = l.metric().rateUnits(l.amount() + l.grace());
                Bucket bucket;
                ConsumptionProbe probe;
                try {
                    bucket = rateBuckets.bucket(l);
                    probe = bucket.tryConsumeAndReturnRemaining(n);
                } catch (RuntimeException e) {
                    if (!rateBuckets.remote()) {
                        throw e; // a local bucket does not fail for want of a backend
                    }
                    if (rateFailOpen) {
                        rateBackendFailed(e);
                        continue; // admitted without this rate limit
                    }
                    release(holds);
                    return new Reservation(List.of(), l, w, Duration.ofSeconds(1), true);
                }
                if (!probe.isConsumed()) {
                    release(holds);
                    long wait = n > capacity ? Long.MAX_VALUE : probe.getNanosToWaitForRefill();
                    return new Reservation(List.of(), l, w, wait == Long.MAX_VALUE ? null : Duration.ofNanos(wait));
                }
                holds.add(new Hold(l, w, null, bucket, n,
                        l.metric().fromRateUnits(capacity - probe.getRemainingTokens()), null, null));
                continue;
            }
            Counter c = counter(l.id(), w.start().toEpochMilli(), end(w));
            long cap = l.amount() + l.grace();
            long before;
            do {
                before = c.claimed.get();
                if (before + n > cap) {
                    release(holds);
                    return new Reservation(List.of(), l, w, null);
                }
            } while (!c.claimed.compareAndSet(before, before + n));
            holds.add(new Hold(l, w, c, null, n, before + n, null, null));
        }
        return new Reservation(holds, null, null, null);
    }

    /** Thrown inside the reservation transaction to roll it back. */
    private static final class Refused extends RuntimeException {
        final int index;

        Refused(int index) {
            super(null, null, false, false);
            this.index = index;
        }
    }

    /**
     * Shared budgets: the rate limits in this instance's buckets, then every budget in one database
     * transaction, each a conditional update of its window's counter (used + reserved + units within
     * amount + grace) with a reservation row that expires at {@code expiresAt}.
     */
    public Reservation reserveShared(List<Limit> applicable, Instant at, long[] units, String permitKey,
            Instant expiresAt) {
        List<Limit> rates = new ArrayList<>();
        List<Limit> budgets = new ArrayList<>();
        List<Long> rateUnits = new ArrayList<>();
        List<Long> budgetUnits = new ArrayList<>();
        for (int i = 0; i < applicable.size(); i++) {
            boolean rolling = applicable.get(i).period().rolling();
            (rolling ? rates : budgets).add(applicable.get(i));
            (rolling ? rateUnits : budgetUnits).add(units[i]);
        }
        Reservation local = reserve(rates, at, rateUnits.stream().mapToLong(Long::longValue).toArray());
        if (!local.granted() || budgets.isEmpty()) {
            return local;
        }
        if (leases != null) {
            return reserveLeased(local, budgets, budgetUnits, at);
        }
        List<Hold> holds;
        try {
            holds = storage.write(tx -> {
                List<Hold> held = new ArrayList<>(budgets.size());
                for (int i = 0; i < budgets.size(); i++) {
                    Limit l = budgets.get(i);
                    LimitWindow w = l.windowAt(at);
                    long n = budgetUnits.get(i);
                    String rid = permitKey + ":" + l.id();
                    long claimed = storage.limits().reserve(tx, rid, l.id(), w.start().toEpochMilli(), n,
                            l.amount() + l.grace(), expiresAt.toEpochMilli());
                    if (claimed < 0) {
                        throw new Refused(i);
                    }
                    held.add(new Hold(l, w, null, null, n, claimed, rid, null));
                }
                return held;
            });
        } catch (Refused r) {
            release(local.holds());
            Limit l = budgets.get(r.index);
            return new Reservation(List.of(), l, l.windowAt(at), null);
        } catch (RuntimeException e) {
            release(local.holds());
            throw e;
        }
        List<Hold> all = new ArrayList<>(local.holds());
        all.addAll(holds);
        return new Reservation(all, null, null, null);
    }

    /** Shared budgets, leased: each budget's units from this instance's lease on its window. */
    /** The leases; only called where a hold came from one, so there are leases. */
    private Leases leased() {
        return java.util.Objects.requireNonNull(leases, "budget leasing is off");
    }

    private Reservation reserveLeased(Reservation rates, List<Limit> budgets, List<Long> budgetUnits, Instant at) {
        List<Hold> all = new ArrayList<>(rates.holds());
        try {
            for (int i = 0; i < budgets.size(); i++) {
                Limit l = budgets.get(i);
                LimitWindow w = l.windowAt(at);
                long n = budgetUnits.get(i);
                Leases.Lease lease = leased().take(l, w, n);
                if (lease == null) {
                    release(all);
                    return new Reservation(List.of(), l, w, null);
                }
                all.add(new Hold(l, w, null, null, n, lease.claimedAtGrowth(), null, lease));
            }
        } catch (RuntimeException e) {
            release(all);
            throw e;
        }
        return new Reservation(all, null, null, null);
    }

    /** The leases of a call's holds, with the units its real usage takes from each. */
    public List<LeaseUse> leaseUses(List<Hold> holds, TokenCounts actual, long actualCostPicos) {
        List<LeaseUse> uses = null;
        for (Hold h : holds) {
            if (h.lease() != null) {
                if (uses == null) {
                    uses = new ArrayList<>(2);
                }
                uses.add(new LeaseUse(h.lease(), units(h.limit().metric(), actual, actualCostPicos)));
            }
        }
        return uses == null ? List.of() : uses;
    }

    /** Usage taken from a lease, to leave it when the ledger commits the usage. */
    public record LeaseUse(Leases.Lease lease, long units) {}

    /** The ledger committed (or, with {@code stored} false, could not store) usage taken from leases. */
    public void leaseUsage(List<LeaseUse> uses, boolean stored) {
        if (leases == null) {
            return;
        }
        for (LeaseUse u : uses) {
            if (stored) {
                leases.committed(u.lease(), u.units());
            } else {
                leases.giveBack(u.lease(), u.units());
            }
        }
    }

    public @Nullable Leases leases() {
        return leases;
    }

    /** Shared budgets: sets each reservation to the call's real usage, so the counters see it before the ledger does. */
    public void adjustShared(List<Hold> holds, TokenCounts actual, long actualCostPicos) {
        if (holds.stream().noneMatch(Hold::shared)) {
            return;
        }
        storage.write(tx -> {
            for (Hold h : holds) {
                if (h.shared()) {
                    storage.limits().adjustReservation(tx, java.util.Objects.requireNonNull(h.reservationId()),
                            units(h.limit().metric(), actual, actualCostPicos));
                }
            }
            return null;
        });
    }

    /** Shared budgets: releases reservations by id (those of an event that could not be stored). */
    public void releaseReservations(List<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        storage.write(tx -> {
            for (String id : ids) {
                storage.limits().releaseReservation(tx, id);
            }
            return null;
        });
    }

    /** Shared budgets: releases the reservations whose permits expired, on any instance. */
    public int releaseExpiredShared(Instant now) {
        return storage.write(tx -> storage.limits().releaseExpiredReservations(tx, now.toEpochMilli()));
    }

    private void rateBackendFailed(RuntimeException e) {
        rateChecksSkipped.incrementAndGet();
        long now = ticker.read();
        if (now - lastRateWarning > 10_000_000_000L) { // at most one line per 10 s
            lastRateWarning = now;
            LOG.warn("TokenKeeper: the rate-limit backend ({}) does not answer; admitting without rate limits "
                    + "(rateLimitFailurePolicy FAIL_OPEN): {}", rateBuckets.name(), e.toString());
        }
    }

    /** Gives tokens back to, or takes more from, a bucket; a remote backend that fails is only logged. */
    private void adjustBucket(Bucket bucket, long diff) {
        try {
            if (diff > 0) {
                bucket.consumeIgnoringRateLimits(diff);
            } else if (diff < 0) {
                bucket.addTokens(-diff);
            }
        } catch (RuntimeException e) {
            if (!rateBuckets.remote()) {
                throw e;
            }
            LOG.debug("TokenKeeper: a rate-limit bucket could not be corrected: {}", e.toString());
        }
    }

    /**
     * Turns a permit's reservations into its recorded usage, one atomic step per counter: a counter
     * with both a hold and a charge moves by the difference, so no concurrent caller sees the
     * reservation and the usage at once (a phantom refusal) or neither (an overshoot).
     */
    public void settle(List<LimitCharge> charges, List<Hold> holds, TokenCounts actual, long actualCostPicos) {
        boolean[] settled = new boolean[holds.size()];
        for (int i = 0; i < holds.size(); i++) {
            Hold h = holds.get(i);
            if (h.shared()) {
                settled[i] = true; // released by the ledger's writer in the event's transaction
                continue;
            }
            if (h.lease() != null) {
                // the lease keeps the call's unused part; the usage leaves it when the ledger commits it
                leased().settled(h.lease(), h.units(), units(h.limit().metric(), actual, actualCostPicos));
                settled[i] = true;
                continue;
            }
            if (h.bucket() != null) {
                // a rate limit: the bucket is corrected to what the call really used
                LimitMetric m = h.limit().metric();
                adjustBucket(h.bucket(), m.rateUnits(units(m, actual, actualCostPicos)) - h.units());
                settled[i] = true;
            }
        }
        for (LimitCharge c : charges) {
            Counter counter = null;
            long reserved = 0;
            for (int i = 0; i < holds.size(); i++) {
                Hold h = holds.get(i);
                if (!settled[i] && h.counter() != null && h.limit().id().equals(c.limitId())
                        && h.window().start().toEpochMilli() == c.windowStart()) {
                    counter = h.counter(); // the counter the reservation was taken on
                    reserved = h.units();
                    settled[i] = true;
                    break;
                }
            }
            if (counter == null) {
                counter = counter(c.limitId(), c.windowStart(), c.windowEnd());
            }
            counter.used.addAndGet(c.units());
            counter.claimed.addAndGet(c.units() - reserved);
        }
        for (int i = 0; i < holds.size(); i++) {
            if (!settled[i]) {
                release(List.of(holds.get(i)));
            }
        }
    }

    /** Gives reservations back. */
    public void release(List<Hold> holds) {
        boolean anyShared = false;
        for (Hold h : holds) {
            if (h.counter() != null) {
                h.counter().claimed.addAndGet(-h.units());
            } else if (h.bucket() != null) {
                adjustBucket(h.bucket(), -h.units());
            } else if (h.lease() != null) {
                leased().giveBack(h.lease(), h.units());
            } else if (h.shared()) {
                anyShared = true;
            }
        }
        if (anyShared) {
            storage.write(tx -> {
                for (Hold h : holds) {
                    if (h.shared()) {
                        storage.limits().releaseReservation(tx, java.util.Objects.requireNonNull(h.reservationId()));
                    }
                }
                return null;
            });
        }
    }

    /** Drops the counters of windows that ended before {@code now} (their usage is in the table). */
    public void evictEnded(Instant now) {
        long t = now.toEpochMilli();
        counters.values().removeIf(c -> c.windowEnd <= t);
    }
}
