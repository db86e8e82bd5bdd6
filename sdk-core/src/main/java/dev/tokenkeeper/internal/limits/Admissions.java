package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.BudgetWarning;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.DenialReason;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.admission.RateLimitState;
import dev.tokenkeeper.admission.RequestAdmission;
import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.internal.DefaultPricingService;
import dev.tokenkeeper.internal.tokens.DefaultTokenService;
import dev.tokenkeeper.internal.tokens.TokenCheck;
import dev.tokenkeeper.internal.usage.DefaultUsageService;
import dev.tokenkeeper.internal.usage.EventFacts;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.pricing.PriceMissingException;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.VerificationResult;
import dev.tokenkeeper.usage.RecordedUsage;
import dev.tokenkeeper.usage.UsageEvent;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code authorize}: token, provider and model checks, the price check, and reservations on every
 * applicable budget, all or nothing. Tracks open permits and releases those left unsettled.
 */
public final class Admissions {
    private static final Logger LOG = LoggerFactory.getLogger(Admissions.class);
    private final DefaultTokenService tokens;
    private final DefaultPricingService pricing;
    private final LimitCache limitCache;
    private final Budgets budgets;
    private final DefaultUsageService usage;
    private final Clock clock;
    private final StorageFailurePolicy storageFailurePolicy;
    private final long permitTimeoutMillis;
    /** Permits not settled yet, for the timeout. */
    private final OpenSet<OpenPermit> open = new OpenSet<>();

    public Admissions(
            DefaultTokenService tokens,
            DefaultPricingService pricing,
            LimitCache limitCache,
            Budgets budgets,
            DefaultUsageService usage,
            Clock clock,
            Duration permitTimeout,
            StorageFailurePolicy storageFailurePolicy) {
        this.tokens = tokens;
        this.pricing = pricing;
        this.limitCache = limitCache;
        this.budgets = budgets;
        this.usage = usage;
        this.clock = clock;
        this.storageFailurePolicy = storageFailurePolicy;
        this.permitTimeoutMillis = permitTimeout.toMillis();
    }

    private static Denial tokenDenial(VerificationResult.Rejected r) {
        DenialReason reason = switch (r.reason()) {
            case INVALID -> DenialReason.TOKEN_INVALID;
            case NOT_FOUND -> DenialReason.TOKEN_NOT_FOUND;
            case EXPIRED -> DenialReason.TOKEN_EXPIRED;
            case REVOKED -> DenialReason.TOKEN_REVOKED;
        };
        return new Denial(
                reason, "the token was refused: " + r.reason().name().toLowerCase(Locale.ROOT), null, null, null);
    }

    /**
     * One HTTP request, not an LLM call: verifies the token and takes one request from each of its
     * per-request rate limits (rolling-minute request limits without a provider or model filter).
     */
    public RequestAdmission checkRequest(@Nullable String secret, @Nullable String source) {
        VerificationResult v;
        try {
            v = tokens.verify(secret, source);
        } catch (StorageException e) {
            return new RequestAdmission(null, unverifiable(e));
        }
        if (v instanceof VerificationResult.Rejected r) {
            return new RequestAdmission(null, tokenDenial(r));
        }
        Principal p = ((VerificationResult.Verified) v).principal();
        Reservation r;
        try {
            List<Limit> rates = limitCache.requestRateLimits(p.tenantId(), p.userId(), p.projectId(), p.tokenId());
            if (rates.isEmpty()) {
                return new RequestAdmission(p, null);
            }
            long[] ones = new long[rates.size()];
            java.util.Arrays.fill(ones, 1);
            r = budgets.reserveRates(rates, Instant.ofEpochMilli(clock.millis()), ones);
        } catch (StorageException e) {
            if (storageFailurePolicy == StorageFailurePolicy.FAIL_CLOSED) {
                return new RequestAdmission(
                        null,
                        new Denial(
                                DenialReason.STORAGE_UNAVAILABLE,
                                "the limits of this request cannot be read: " + e.getMessage(),
                                null,
                                Duration.ofSeconds(1),
                                null));
            }
            return new RequestAdmission(p, null);
        }
        if (!r.granted() && r.backendDown()) {
            return new RequestAdmission(null, rateBackendDown(r));
        }
        if (!r.granted()) {
            Limit l = r.refuser();
            return new RequestAdmission(
                    null,
                    new Denial(
                            DenialReason.RATE_LIMITED,
                            "rate limit '" + l.name() + "' (" + l.id() + ") allows " + l.amount()
                                    + " requests per minute",
                            l,
                            r.retryAfter(),
                            null));
        }
        return new RequestAdmission(p, null); // a request, once admitted, is counted: nothing to settle
    }

    public Admission authorize(@Nullable String secret, CallRequest call) {
        long nowMillis = clock.millis(); // one reading for the token's expiry, the window and the permit
        TokenCheck t;
        try {
            t = tokens.check(secret, call.source(), nowMillis);
        } catch (StorageException e) {
            return unverifiable(e);
        }
        if (t.result() instanceof VerificationResult.Rejected r) {
            return tokenDenial(r); // audited (aggregated) by the token service, with no tenant to trace in
        }
        Principal p = ((VerificationResult.Verified) t.result()).principal();
        Admission a = admit(p, call, t, nowMillis);
        if (a instanceof Denial d) {
            usage.traceRefusal(p, call, d);
        }
        return a;
    }

    /**
     * A token that only the database can verify (not cached, or cached longer than the offline grace)
     * while the database does not answer: refused whatever the storage failure policy, since admitting
     * an unverified secret would let anyone in.
     */
    private static Denial unverifiable(StorageException e) {
        return new Denial(
                DenialReason.STORAGE_UNAVAILABLE,
                "the token cannot be verified while storage is unavailable: " + e.getMessage(),
                null,
                Duration.ofSeconds(1),
                null);
    }

    /**
     * The limits of a token's scopes as its last call found them: reused while no limit changed (the
     * version) and for at most {@link #MEMO_MILLIS}, so that the limit cache is still read, and its
     * refresh and expiry still run, once a second for a busy token. {@code hints} serve the budget
     * strategy (see {@link Budgets#reserve}) for calls whose limits are all of them, the common case.
     * {@code anyCall}: no limit of the list names a provider or a model, so all of them apply to every
     * call. {@code quote}: the price the token's last call was costed at, which serves its next call
     * of the same model while the catalog and the price in force are the same (see {@link
     * DefaultPricingService#quote(String, String, long, DefaultPricingService.Quote)}); a plain field,
     * as a quote is immutable and any recent one will do.
     */
    private static final class LimitMemo {
        final long version;
        final long takenAt;
        final List<Limit> scopeLimits;
        final @Nullable Object[] hints;
        final boolean anyCall;
        DefaultPricingService.@Nullable Quote quote;

        LimitMemo(long version, long takenAt, List<Limit> scopeLimits, @Nullable Object[] hints) {
            this.version = version;
            this.takenAt = takenAt;
            this.scopeLimits = scopeLimits;
            this.hints = hints;
            boolean any = true;
            for (int i = 0; i < scopeLimits.size(); i++) {
                Limit l = scopeLimits.get(i);
                any &= l.provider() == null && l.model() == null;
            }
            this.anyCall = any;
        }
    }

    private static final long MEMO_MILLIS = 1000;

    /** The limits that apply to a call, and the budget strategy's hints for that list, if any. */
    private static final class Applicable {
        final List<Limit> limits;
        final @Nullable Object @Nullable [] hints;

        Applicable(List<Limit> limits, @Nullable Object @Nullable [] hints) {
            this.limits = limits;
            this.hints = hints;
        }
    }

    private Applicable applicable(
            Principal p, CallRequest call, TokenCheck t, long now, long version, DefaultPricingService.Quote quote) {
        if (call.runId() != null) { // a run is a scope of its own: its list is looked up each call
            return new Applicable(
                    limitCache.applicable(
                            p.tenantId(),
                            p.userId(),
                            p.projectId(),
                            p.tokenId(),
                            call.runId(),
                            call.provider(),
                            call.model()),
                    null);
        }
        LimitMemo memo;
        if (t.admissionMemo() instanceof LimitMemo m
                && m.version == version
                && now - m.takenAt >= 0
                && now - m.takenAt < MEMO_MILLIS) {
            memo = m;
        } else {
            List<Limit> all = limitCache.scopeLimits(p.tenantId(), p.userId(), p.projectId(), p.tokenId(), null);
            // a renewed memo keeps the hints of the same list: a second's memo expiry is no change
            LimitMemo prior = t.admissionMemo() instanceof LimitMemo m ? m : null;
            @Nullable Object[] hints = prior != null && prior.scopeLimits == all ? prior.hints : new Object[all.size()];
            memo = new LimitMemo(version, now, all, hints);
            t.admissionMemo(memo);
        }
        if (memo.quote != quote) {
            memo.quote = quote; // for the token's next call (written only when it changes: threads share the memo)
        }
        if (memo.anyCall) {
            return new Applicable(memo.scopeLimits, memo.hints);
        }
        List<Limit> matching = LimitCache.matching(memo.scopeLimits, call.provider(), call.model());
        return new Applicable(matching, matching == memo.scopeLimits ? memo.hints : null);
    }

    private Admission admit(Principal p, CallRequest call, TokenCheck t, long nowMillis) {
        if (!p.allowsProvider(call.provider())) {
            return new Denial(
                    DenialReason.PROVIDER_NOT_ALLOWED,
                    "the token may not call provider '" + call.provider() + "'",
                    null,
                    null,
                    null);
        }
        if (!p.allowsModel(call.model())) {
            return new Denial(
                    DenialReason.MODEL_NOT_ALLOWED,
                    "the token may not call model '" + call.model() + "'",
                    null,
                    null,
                    null);
        }
        Instant now = Instant.ofEpochMilli(nowMillis);
        TokenCounts estimate = new TokenCounts(call.estimatedInputTokens(), 0, 0, call.maxOutputTokens(), 0);
        // a call in a run has no memo (its limits are looked up each time), so no recent quote either
        DefaultPricingService.@Nullable Quote recent =
                call.runId() == null && t.admissionMemo() instanceof LimitMemo m ? m.quote : null;
        DefaultPricingService.Quote quote;
        try {
            quote = pricing.quote(call.provider(), call.model(), nowMillis, recent);
        } catch (PriceMissingException e) {
            return new Denial(DenialReason.PRICE_MISSING, String.valueOf(e.getMessage()), null, null, null);
        }
        long cost = pricing.picoTotal(quote, estimate, nowMillis);
        Reservation r;
        // a permit needs a unique id, not a strict order; its text is made when first needed
        Ids.Deferred key = Ids.uuid7UnorderedDeferred(nowMillis);
        long limitsVersion = limitCache.limitsVersion(); // before the lookup: a change during it is seen later
        List<Limit> limits;
        try {
            Applicable applicable = applicable(p, call, t, nowMillis, limitsVersion, quote);
            limits = applicable.limits;
            long[] units = new long[limits.size()];
            for (int i = 0; i < units.length; i++) {
                units[i] = Budgets.units(limits.get(i).metric(), estimate, cost);
            }
            r = budgets.reserve(limits, now, units, key, nowMillis + permitTimeoutMillis, applicable.hints);
        } catch (StorageException e) {
            if (storageFailurePolicy == StorageFailurePolicy.FAIL_CLOSED) {
                return new Denial(
                        DenialReason.STORAGE_UNAVAILABLE,
                        "the limits of this call cannot be read: " + e.getMessage(),
                        null,
                        Duration.ofSeconds(1),
                        null);
            }
            LOG.warn(
                    "TokenKeeper: admitting a call of token {} without checking its limits: {}",
                    p.tokenId(),
                    e.getMessage());
            return open(key, p, call, now, quote, List.of(), List.of(), false, null, limitsVersion);
        }
        if (!r.granted() && r.backendDown()) {
            return rateBackendDown(r);
        }
        if (!r.granted() && r.refuser().period().rolling()) {
            Limit l = r.refuser();
            return new Denial(
                    DenialReason.RATE_LIMITED,
                    "rate limit '" + l.name() + "' (" + l.id() + ") allows "
                            + l.metric().format(l.amount()) + " per minute"
                            + (r.retryAfter() == null
                                    ? "; this call's estimate exceeds its burst and cannot fit"
                                    : "; retry after " + r.retryAfter().toMillis() + " ms"),
                    l,
                    r.retryAfter(),
                    null);
        }
        if (!r.granted()) {
            Limit l = r.refuser();
            return new Denial(
                    DenialReason.BUDGET_EXCEEDED,
                    "limit '" + l.name() + "' (" + l.id() + ") allows "
                            + l.metric().format(l.amount()) + " per "
                            + l.period().name().toLowerCase(Locale.ROOT)
                            + (l.grace() > 0 ? " plus " + l.metric().format(l.grace()) + " grace" : "")
                            + "; this call's estimate does not fit",
                    l,
                    null,
                    r.refuserWindow().end());
        }
        List<BudgetWarning> warnings = List.of();
        List<Hold> holds = r.holds();
        for (int i = 0; i < holds.size(); i++) { // indexed: no iterator on the hot path
            Hold h = holds.get(i);
            if (h.inGrace()) {
                if (warnings.isEmpty()) {
                    warnings = new ArrayList<>();
                }
                warnings.add(new BudgetWarning(h.limit(), h.window(), h.claimed()));
            }
        }
        return open(key, p, call, now, quote, List.copyOf(warnings), holds, true, limits, limitsVersion);
    }

    private Denial rateBackendDown(Reservation r) {
        Limit l = r.refuser();
        return new Denial(
                DenialReason.STORAGE_UNAVAILABLE,
                "rate limit '" + l.name() + "' (" + l.id() + ") cannot be checked: its backend ("
                        + budgets.rateBuckets().name() + ") does not answer",
                l,
                Duration.ofSeconds(1),
                null);
    }

    private Permit open(
            Ids.Deferred key,
            Principal p,
            CallRequest call,
            Instant now,
            DefaultPricingService.Quote quote,
            List<BudgetWarning> warnings,
            List<Hold> holds,
            boolean checked,
            @Nullable List<Limit> limits,
            long limitsVersion) {
        // the permit's key is a fresh id already: it is the request id too unless the caller gave one
        OpenPermit permit = new OpenPermit(
                key,
                p,
                call,
                now,
                now.toEpochMilli() + permitTimeoutMillis,
                quote,
                warnings,
                holds,
                checked,
                limits,
                limitsVersion);
        open.add(permit);
        return permit;
    }

    /** Releases the reservations of permits past their time; returns how many. */
    public int releaseExpired() {
        long now = clock.millis();
        int[] n = {0};
        open.forEach(p -> {
            if (p.expiresAtMillis <= now && p.expire()) {
                n[0]++;
            }
        });
        open.trim();
        return n[0];
    }

    /**
     * What the permits open on this instance hold on {@code limit} in its window containing {@code at}:
     * the reservations of calls in flight, as a limit's status shows them.
     */
    public long reservedOnThisInstance(Limit limit, Instant at) {
        long atMillis = at.toEpochMilli();
        long[] sum = {0};
        open.forEach(p -> sum[0] += p.heldOn(limit.id(), atMillis));
        return sum[0];
    }

    /** Permits authorized and not settled (nor expired) yet. */
    public int openPermits() {
        return open.size();
    }

    private final class OpenPermit extends OpenSet.Member implements Permit {
        private static final int OPEN = 0;
        private static final int UNRESERVED = 1; // released (by the caller or the timeout), or a failed settle
        private static final int SETTLED = 2;

        /** The permit's own id, which is the request id unless the call gave one. */
        final Ids.Deferred key;

        final Principal principal;
        final CallRequest call;
        final Instant startedAt;
        /** When the permit releases itself (Unix milliseconds); an {@code Instant} only if asked for. */
        final long expiresAtMillis;
        /** The price authorize looked up, which the completion is costed at (at {@link #startedAt}). */
        final DefaultPricingService.Quote quote;

        final List<BudgetWarning> warnings;
        final List<Hold> holds;
        final boolean checked;
        /** The limits that applied at authorize, or {@code null} when they could not be read. */
        final @Nullable List<Limit> limits;

        final long limitsVersion;

        private int state = OPEN;
        private boolean releasedByCaller;

        OpenPermit(
                Ids.Deferred key,
                Principal principal,
                CallRequest call,
                Instant startedAt,
                long expiresAtMillis,
                DefaultPricingService.Quote quote,
                List<BudgetWarning> warnings,
                List<Hold> holds,
                boolean checked,
                @Nullable List<Limit> limits,
                long limitsVersion) {
            this.key = key;
            this.principal = principal;
            this.call = call;
            this.startedAt = startedAt;
            this.expiresAtMillis = expiresAtMillis;
            this.quote = quote;
            this.warnings = warnings;
            this.holds = holds;
            this.checked = checked;
            this.limits = limits;
            this.limitsVersion = limitsVersion;
        }

        @Override
        public boolean limitsChecked() {
            return checked;
        }

        @Override
        public List<RateLimitState> rateLimits() {
            List<RateLimitState> states = List.of(); // most calls have no rate limit: no allocation
            for (Hold h : holds) {
                if (h instanceof Hold.InBucket b) {
                    if (states.isEmpty()) {
                        states = new ArrayList<>(2);
                    }
                    long amount = b.limit().amount();
                    long claimed = b.claimed();
                    // the bucket refills `amount` a minute, smoothly: what was claimed takes that share of it
                    long millis = amount <= 0
                            ? 0
                            : BigInteger.valueOf(claimed)
                                    .multiply(BigInteger.valueOf(60_000))
                                    .add(BigInteger.valueOf(amount - 1))
                                    .divide(BigInteger.valueOf(amount))
                                    .longValue();
                    states.add(new RateLimitState(b.limit(), Math.max(0, amount - claimed), Duration.ofMillis(millis)));
                }
            }
            return states;
        }

        @Override
        public String requestId() {
            String given = call.requestId();
            return given != null ? given : key.toString();
        }

        @Override
        public Principal principal() {
            return principal;
        }

        @Override
        public Instant startedAt() {
            return startedAt;
        }

        @Override
        public Instant expiresAt() {
            return Instant.ofEpochMilli(expiresAtMillis);
        }

        @Override
        public List<BudgetWarning> warnings() {
            return warnings;
        }

        @Override
        public synchronized RecordedUsage complete(Completion c) {
            Checks.required("completion", c);
            if (state == SETTLED || releasedByCaller) {
                throw new IllegalStateException("permit " + requestId() + " was settled already");
            }
            // the principal and the call were checked at issue and at authorize: only the completion's
            // own fields are, as a UsageEvent would check them
            String given = call.requestId();
            EventFacts event = new EventFacts(
                    given,
                    given != null ? null : key,
                    principal.tenantId(),
                    principal.tokenId(),
                    principal.userId(),
                    principal.projectId(),
                    call.provider(),
                    call.model(),
                    c.counts(),
                    Checks.latency("latency", c.latency()),
                    c.outcome(),
                    c.source(),
                    startedAt,
                    Checks.truncated(c.errorMessage(), UsageEvent.MAX_ERROR_LENGTH),
                    Checks.eventMetadata("metadata", c.metadata(), UsageEvent.RUN_ID, call.runId()),
                    call.runId());
            List<Hold> held = state == OPEN ? holds : List.of();
            if (!held.isEmpty() && budgets.reservesCallByCall()) {
                try {
                    // the counters see the real usage now; the ledger's writer turns it into used
                    long cost = pricing.picoTotal(quote, c.counts(), startedAt.toEpochMilli());
                    budgets.beforeRecord(held, c.counts(), cost);
                } catch (RuntimeException e) {
                    LOG.warn(
                            "TokenKeeper: could not adjust the reservations of {} to its real usage: {}",
                            requestId(),
                            e.getMessage());
                }
            }
            state = UNRESERVED; // whatever happens below, the reservations are settled or released by it
            remove(); // from the open permits
            // the limits looked up at authorize still apply unless some limit changed since
            List<Limit> applicable = limits != null && limitCache.limitsVersion() == limitsVersion ? limits : null;
            RecordedUsage recorded = usage.recordSettled(event, held, applicable, quote);
            state = SETTLED;
            return recorded;
        }

        @Override
        public synchronized void release() {
            if (state == OPEN) {
                budgets.release(holds);
                remove(); // from the open permits
            }
            if (state != SETTLED) {
                state = UNRESERVED;
                releasedByCaller = true;
            }
        }

        /**
         * What this permit holds on the counter of limit {@code limitId} whose window contains the time.
         * Without the permit's monitor, which a completion holds while it queues its event (under the
         * ledger's BLOCK policy, for up to its timeout): a status figure must not wait for that, and a
         * permit settling meanwhile may be counted or not.
         */
        long heldOn(String limitId, long atMillis) {
            if (state != OPEN) {
                return 0;
            }
            long units = 0;
            for (Hold h : holds) {
                if (h instanceof Hold.OnCounter c
                        && c.limit().id().equals(limitId)
                        && c.counter().contains(atMillis)) {
                    units += c.units();
                }
            }
            return units;
        }

        /** The timeout: releases the reservations; the permit can still complete. */
        synchronized boolean expire() {
            remove(); // from the open permits
            if (state != OPEN) {
                return false;
            }
            budgets.release(holds);
            state = UNRESERVED;
            return true;
        }
    }
}
