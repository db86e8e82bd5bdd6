package dev.tokenkeeper.internal.usage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.internal.DefaultPricingService;
import dev.tokenkeeper.internal.DefaultPricingService.PicoCost;
import dev.tokenkeeper.internal.Listeners;
import dev.tokenkeeper.internal.limits.Budgets;
import dev.tokenkeeper.internal.limits.Hold;
import dev.tokenkeeper.internal.limits.LimitAlerts;
import dev.tokenkeeper.internal.limits.LimitCache;
import dev.tokenkeeper.internal.storage.LimitCharge;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.usage.LedgerItem.Pending;
import dev.tokenkeeper.internal.usage.LedgerItem.Settled;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.internal.util.Json;
import dev.tokenkeeper.internal.util.Ticker;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.Granularity;
import dev.tokenkeeper.usage.LedgerStats;
import dev.tokenkeeper.usage.RecordedUsage;
import dev.tokenkeeper.usage.UsageBreakdown;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageEvent;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageSeries;
import dev.tokenkeeper.usage.UsageService;
import dev.tokenkeeper.usage.UsageSource;
import dev.tokenkeeper.usage.UsageTotals;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger's front: validation, exact cost and the budgets' settlement at {@link #record}, then the
 * event goes to the {@link LedgerWriter}; the analytics are {@link UsageQueries}.
 */
public final class DefaultUsageService implements UsageService {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultUsageService.class);
    /** Request ids remembered at most for recognising re-stamped retries. */
    static final int RECENT_REQUESTS = 1_000_000;

    private static final String DENIED = CallOutcome.DENIED.name();

    private final Storage storage;
    private final Clock clock;
    private final DefaultPricingService pricing;
    private final LimitCache limitCache;
    private final Budgets budgets;
    private final LedgerSettings settings;
    private final Cache<String, Boolean> knownTenants =
            Caffeine.newBuilder().executor(Runnable::run).maximumSize(10_000).build();
    private final RecentRequests recent;
    private final Listeners listeners;
    /** Refusals traced per token and minute, at most; the rest are counted in {@code refusalsNotTraced}. */
    private final Cache<String, AtomicInteger> refusalsByToken;

    private final LongAdder refusalsNotTraced = new LongAdder();
    private final LedgerWriter ledger;
    private final UsageQueries queries;
    /** The request keys (and so the event ids) of this database. */
    private final EventIds eventIds;

    private volatile boolean accepting = true;

    public DefaultUsageService(
            Storage storage,
            Clock clock,
            DefaultPricingService pricing,
            LimitCache limitCache,
            Budgets budgets,
            LimitAlerts limitAlerts,
            Listeners listeners,
            LedgerSettings settings,
            EventIds eventIds,
            ThreadFactory threads) {
        this.listeners = listeners;
        this.eventIds = eventIds;
        this.storage = storage;
        this.clock = clock;
        this.pricing = pricing;
        this.limitCache = limitCache;
        this.budgets = budgets;
        this.settings = settings;
        this.recent = new RecentRequests(clock, settings.idempotencyWindow(), RECENT_REQUESTS);
        this.refusalsByToken = Caffeine.newBuilder()
                .executor(Runnable::run) // bookkeeping on the caller, as in the token caches
                .maximumSize(100_000)
                .expireAfterWrite(Duration.ofMinutes(1))
                .ticker(Ticker.of(clock).forCaffeine())
                .build();
        this.ledger = new LedgerWriter(storage, clock, budgets, limitAlerts, recent, settings, threads);
        this.queries = new UsageQueries(storage);
    }

    // ------------------------------------------------------------------ record

    @Override
    public RecordedUsage record(UsageEvent event) {
        return record(EventFacts.of(event), event, List.of(), false, null, null);
    }

    /**
     * Records the event of a permit, turning the permit's reservations into the event's usage. When
     * this throws, the reservations are released and nothing was recorded.
     *
     * @param quote the price authorize looked up for the call, at the event's time
     */
    public RecordedUsage recordSettled(
            EventFacts event, List<Hold> holds, @Nullable List<Limit> applicable, DefaultPricingService.Quote quote) {
        return record(event, null, holds, true, applicable, quote);
    }

    /**
     * @param original the event as the caller gave it, if it was a {@code UsageEvent}
     * @param settled the event of a permit: its request settles once (the permit sees to that), so the
     *     caller does not look it up among the recent requests; the writer remembers it instead, and
     *     maps it to an earlier attempt recorded under the same request id, if one exists
     * @param applicable the limits that apply to the event when known to be current, else {@code null}
     */
    private RecordedUsage record(
            EventFacts event,
            @Nullable UsageEvent original,
            List<Hold> holds,
            boolean settled,
            @Nullable List<Limit> applicable,
            DefaultPricingService.@Nullable Quote quote) {
        if (!accepting) {
            budgets.release(holds);
            throw new IllegalStateException("TokenKeeper is closed");
        }
        try {
            if (!settled) { // a permit's tenant is its verified token's, which exists
                requireTenant(event.tenantId());
            }
        } catch (RuntimeException e) {
            budgets.release(holds);
            throw e;
        }
        long requestedAt = event.at() != null ? event.at().toEpochMilli() : clock.millis();
        // Within the idempotency window a retry maps to the first attempt's id, even if re-stamped. A
        // permit's event is keyed and looked up by the writer (see LedgerItem.Settled), off the
        // caller's path.
        EventIds.@Nullable RequestKey key =
                settled && !ledger.synchronous() ? null : eventIds.key(event.tenantId(), event.requestId());
        long firstAt = key == null ? RecentRequests.NONE : recent.firstAt(key, requestedAt);
        boolean firstSeen = firstAt == RecentRequests.NONE;
        long at = firstSeen ? requestedAt : firstAt;
        List<LimitCharge> charges = List.of();
        boolean counted = false;
        boolean holdsDone = false;
        List<String> reservations = List.of();
        List<Budgets.LeaseUse> leaseUses = List.of();
        try {
            TokenCounts c = event.counts();
            PicoCost cost = quote != null
                    ? pricing.picoCost(quote, c, at)
                    : pricing.picoCost(event.provider(), event.model(), c, at);
            charges = budgets.charges(
                    applicable != null
                            ? applicable
                            : limitCache.applicable(
                                    event.tenantId(),
                                    event.userId(),
                                    event.projectId(),
                                    event.tokenId(),
                                    event.runId(),
                                    event.provider(),
                                    event.model()),
                    holds,
                    at,
                    c,
                    cost.total());
            // The budget counters see the usage at once; a retry seen before adds nothing. (A retry the
            // writer finds stored already is taken back after its batch commits.)
            if (firstSeen && (!charges.isEmpty() || !holds.isEmpty())) {
                budgets.settle(charges, holds, c, cost.total());
                counted = !charges.isEmpty();
                // reservations held in the database are released by the writer, with the event
                reservations = Budgets.storedReservationIds(holds);
                // usage taken from leases leaves them when the writer commits it
                leaseUses = budgets.leaseUses(holds, c, cost.total());
            } else {
                budgets.release(holds);
            }
            holdsDone = true;
            RecordedUsage recorded;
            if (key == null) { // the writer keys the request, looks it up and makes the row
                Settled queued = new Settled(
                        event, cost, at, eventIds, charges, counted, reservations, leaseUses, clock.millis());
                ledger.enqueue(queued);
                // the queued event and its cost make the id and the Cost if asked, without two lambdas a call
                recorded = RecordedUsage.deferred(queued, cost, false);
            } else {
                String id = EventIds.of(at, key);
                Pending pending = new Pending(
                        event.toRow(cost, at, id), charges, counted, reservations, leaseUses, clock.millis());
                if (ledger.synchronous()) {
                    ledger.writeNow(pending);
                } else {
                    ledger.enqueue(pending);
                }
                recorded = RecordedUsage.deferred(() -> id, cost, ledger.synchronous());
            }
            if (!listeners.isEmpty() && firstSeen) {
                listeners.recorded(original != null ? original : event.toEvent(), recorded);
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
            if (firstSeen && key != null) {
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
        var seen = refusalsByToken.get(p.tokenId(), k -> new AtomicInteger());
        if (seen.incrementAndGet() > perMinute || !accepting) {
            refusalsNotTraced.increment();
            return;
        }
        try {
            long at = clock.millis();
            String requestId = call.requestId() != null ? call.requestId() : Ids.uuid7(clock);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("denial_reason", d.reason().name().toLowerCase(Locale.ROOT));
            if (d.limit() != null) {
                meta.put("limit_id", d.limit().id());
            }
            if (call.runId() != null) {
                meta.put(UsageEvent.RUN_ID, call.runId());
            }
            String message = d.message().length() > UsageEvent.MAX_ERROR_LENGTH
                    ? d.message().substring(0, UsageEvent.MAX_ERROR_LENGTH)
                    : d.message();
            UsageRow row = new UsageRow(
                    eventIds.id(at, p.tenantId(), requestId),
                    p.tenantId(),
                    requestId,
                    at,
                    p.tokenId(),
                    p.userId(),
                    p.projectId(),
                    call.provider(),
                    call.model(),
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    false,
                    0,
                    DENIED,
                    UsageSource.ESTIMATED.name(),
                    message,
                    Json.write(meta));
            Pending pending = new Pending(row, List.of(), false, List.of(), List.of(), at);
            if (!ledger.offerTrace(pending)) {
                refusalsNotTraced.increment();
            }
        } catch (RuntimeException e) {
            refusalsNotTraced.increment();
            LOG.debug("TokenKeeper: a refusal of token {} was not traced: {}", p.tokenId(), e.toString());
        }
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

    // ------------------------------------------------------------------ analytics

    @Override
    public UsageTotals totals(UsageQuery query) {
        return queries.totals(query);
    }

    @Override
    public UsageSeries series(UsageQuery query, Granularity granularity, ZoneId zone) {
        return queries.series(query, granularity, zone);
    }

    @Override
    public UsageBreakdown breakdown(UsageQuery query, UsageDimension dimension, int limit) {
        return queries.breakdown(query, dimension, limit);
    }

    // ------------------------------------------------------------------ the writer

    @Override
    public void flush() {
        ledger.flush();
    }

    @Override
    public LedgerStats stats() {
        return ledger.stats(refusalsNotTraced.sum());
    }

    /**
     * Stops accepting events, writes everything queued and stops the writer. Waits up to the close
     * timeout; what could not be written by then is counted and logged as lost.
     */
    public void close() {
        accepting = false;
        ledger.close();
    }
}
