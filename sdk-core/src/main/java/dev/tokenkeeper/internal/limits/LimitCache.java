package dev.tokenkeeper.internal.limits;

import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.tokenkeeper.internal.storage.LimitStore.ScopeChange;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.FeedWindow;
import dev.tokenkeeper.internal.util.Ticker;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitScope;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The limits that apply to each scope (tenant, user, project, token, run), cached and kept current
 * by the limits change feed: a change made here applies before its call returns, one made on another
 * instance within the limit-sync interval.
 */
public final class LimitCache {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LimitCache.class);
    private static final long PRUNE_EVERY_MILLIS = Duration.ofMinutes(10).toMillis();

    private record ScopeKey(
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String tokenId,
            @Nullable String runId) {
        // written out, as in LimitCharge.Key: looked up on every admission
        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof ScopeKey k
                    && tenantId.equals(k.tenantId)
                    && Objects.equals(tokenId, k.tokenId)
                    && Objects.equals(userId, k.userId)
                    && Objects.equals(projectId, k.projectId)
                    && Objects.equals(runId, k.runId);
        }

        @Override
        public int hashCode() {
            int h = tenantId.hashCode();
            h = 31 * h + Objects.hashCode(userId);
            h = 31 * h + Objects.hashCode(projectId);
            h = 31 * h + Objects.hashCode(tokenId);
            return 31 * h + Objects.hashCode(runId);
        }
    }

    private final Storage storage;
    private final LoadingCache<ScopeKey, List<Limit>> limits;
    private final AtomicLong limitsVersion = new AtomicLong();
    private final FeedWindow feed;
    /** Told the id of every limit this instance sees changed, once its new lists are in. */
    private final Consumer<String> limitChanged;

    private long lastPruneMillis = Long.MIN_VALUE / 2;

    /**
     * @param limitSyncInterval how often {@link #syncLimits} runs: with the clock-skew margin, it sets
     *     how far back each read of the change feed looks
     * @param limitChanged told the id of each limit whose cached form changed, after the lists that
     *     hold it were replaced (the leases give back what they hold under the limit's old cap)
     */
    public LimitCache(
            Storage storage,
            Clock clock,
            Duration limitSyncInterval,
            Duration clockSkewMargin,
            Consumer<String> limitChanged) {
        this.storage = storage;
        this.limitChanged = limitChanged;
        this.feed = new FeedWindow(clock, clockSkewMargin, limitSyncInterval);
        Ticker ticker = Ticker.of(clock);
        // Kept current by the change feed (syncLimits), not by re-reading every cached scope each
        // interval: a refresh per scope and sync interval made 1,000 tokens cost 200 reads a second,
        // and their bursts doubled the average admission. An hourly refresh remains, in the
        // background while callers keep the old list: it catches a change made around the feed (in
        // the database by hand), and keeps the write time recent, so that while the database does
        // not answer the last known limits keep serving for an hour at least (two at most).
        Duration backstop = Duration.ofHours(1).compareTo(limitSyncInterval.multipliedBy(2)) > 0
                ? Duration.ofHours(1)
                : limitSyncInterval.multipliedBy(2);
        // The cache's bookkeeping runs on the calling thread (see DefaultTokenService); its hourly
        // refresh, a database read, still runs in the background (asyncReload below).
        this.limits = Caffeine.newBuilder()
                .executor(Runnable::run)
                .ticker(ticker.forCaffeine())
                .maximumSize(100_000)
                .refreshAfterWrite(backstop)
                .expireAfterWrite(backstop.multipliedBy(2))
                .build(new CacheLoader<ScopeKey, List<Limit>>() {
                    @Override
                    public List<Limit> load(ScopeKey k) {
                        return List.copyOf(storage.read(tx -> storage.limits()
                                .forScopes(tx, k.tenantId(), k.userId(), k.projectId(), k.tokenId(), k.runId())));
                    }

                    @Override
                    public CompletableFuture<List<Limit>> asyncReload(ScopeKey k, List<Limit> old, Executor executor) {
                        return CompletableFuture.supplyAsync(() -> reload(k, old), ForkJoinPool.commonPool());
                    }

                    @Override
                    public List<Limit> reload(ScopeKey k, List<Limit> old) {
                        List<Limit> now = load(k);
                        if (!now.equals(old)) {
                            // a change the feed did not carry: the new list goes in before the version
                            // grows, as in apply (the cache then keeps it, or a list loaded meanwhile)
                            limits.asMap().replace(k, old, now);
                            limitsVersion.incrementAndGet();
                            changedLimits(old, now, new HashSet<>()).forEach(limitChanged);
                        }
                        return now;
                    }
                });
    }

    /** The limits that apply to a call (cached; changed limits apply within the limit-sync interval). */
    public List<Limit> applicable(
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String tokenId,
            @Nullable String runId,
            String provider,
            String model) {
        return matching(scopeLimits(tenantId, userId, projectId, tokenId, runId), provider, model);
    }

    /**
     * Every limit of the scopes of a call, whatever its provider and model filters (cached; see
     * {@link #applicable}).
     */
    public List<Limit> scopeLimits(
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String tokenId,
            @Nullable String runId) {
        return limits.get(new ScopeKey(tenantId, userId, projectId, tokenId, runId));
    }

    /** The limits among {@code all} whose provider and model filters take the call. */
    public static List<Limit> matching(List<Limit> all, String provider, String model) {
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
    public List<Limit> requestRateLimits(
            String tenantId, @Nullable String userId, @Nullable String projectId, @Nullable String tokenId) {
        List<Limit> all = limits.get(new ScopeKey(tenantId, userId, projectId, tokenId, null));
        List<Limit> matching = new ArrayList<>();
        for (Limit l : all) {
            if (l.period().rolling()
                    && l.metric() == LimitMetric.REQUESTS
                    && l.provider() == null
                    && l.model() == null) {
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
        Set<String> changed = new HashSet<>();
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
                changedLimits(old, now, changed);
            }
        }
        // After the new lists are in (see limitsVersion), and even when none was cached: a permit in
        // flight may hold a list whose entry has left the cache since.
        limitsVersion.incrementAndGet();
        changed.forEach(limitChanged);
    }

    /** Adds to {@code into} the ids of the limits in both lists whose new form differs from the old. */
    private static Set<String> changedLimits(List<Limit> old, List<Limit> now, Set<String> into) {
        for (Limit n : now) {
            for (Limit o : old) {
                if (o.id().equals(n.id()) && !o.equals(n)) {
                    into.add(n.id());
                }
            }
        }
        return into;
    }

    private List<Limit> read(ScopeChange c) {
        return storage.read(
                tx -> storage.limits().list(tx, c.tenantId(), c.scope(), c.scopeId(), null, Integer.MAX_VALUE));
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
}
