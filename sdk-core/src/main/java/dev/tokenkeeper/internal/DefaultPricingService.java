package dev.tokenkeeper.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.TokenKeeperException;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.internal.audit.Auditor;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.pricing.Cost;
import dev.tokenkeeper.pricing.ModelPrice;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.PriceMissingException;
import dev.tokenkeeper.pricing.PricingCatalog;
import dev.tokenkeeper.pricing.PricingService;
import dev.tokenkeeper.pricing.Rates;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.pricing.UnknownPricePolicy;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prices: the configured catalog with the runtime prices of {@code tk_prices} on top, re-read on a
 * schedule so that every instance applies the same prices. Costs are computed in whole picodollars
 * from rates compiled once per price, so the recording path does no decimal arithmetic.
 */
public final class DefaultPricingService implements PricingService {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultPricingService.class);
    private static final String SYSTEM_TENANT = "_system";
    private static final int MAX_COMPILED_MODELS = 10_000;
    private static final int MAX_SOURCE_LENGTH = 512;

    private final PricingCatalog base;
    private final UnknownPricePolicy policy;
    private final @Nullable Compiled defaultPrice;
    private final Storage storage;
    private final Auditor auditor;
    private final Clock clock;
    private volatile Snapshot snapshot;

    /** The effective catalog and the compiled price histories looked up so far. */
    private record Snapshot(
            PricingCatalog catalog, List<ModelPrice> runtime, ConcurrentHashMap<ModelKey, Compiled[]> compiled) {
        Snapshot(PricingCatalog catalog, List<ModelPrice> runtime) {
            this(catalog, runtime, new ConcurrentHashMap<>());
        }
    }

    private record ModelKey(String provider, String model) {
        @Override
        public boolean equals(@Nullable Object o) { // written out, as in LimitCharge.Key: used on every call
            return o instanceof ModelKey k && model.equals(k.model) && provider.equals(k.provider);
        }

        @Override
        public int hashCode() {
            return 31 * provider.hashCode() + model.hashCode();
        }
    }

    /** One price with its rates in whole picodollars per token (prices carry at most six decimals). */
    @SuppressWarnings("ArrayRecordComponent") // internal, never compared: arrays for speed on the cost path
    private record Compiled(@Nullable ModelPrice price, long from, long[] rates, long longAbove, long[] longRates) {
        static Compiled of(@Nullable ModelPrice p, Rates base, ModelPrice.@Nullable LongContext lc) {
            long[] r = picos(base);
            return new Compiled(
                    p,
                    p == null ? Long.MIN_VALUE : p.effectiveFrom().toEpochMilli(),
                    r,
                    lc == null ? Long.MAX_VALUE : lc.aboveInputTokens(),
                    lc == null ? r : picos(lc.rates()));
        }

        static long[] picos(Rates r) {
            return new long[] {
                perToken(r.input()), perToken(r.cachedInput()), perToken(r.cacheWrite()), perToken(r.output())
            };
        }

        static long perToken(Money perMillion) {
            return perMillion.toPicosExact() / 1_000_000L;
        }

        /** {@code cost(c).total()}, without the parts. */
        long total(TokenCounts c) {
            long[] r = c.totalInput() > longAbove ? longRates : rates;
            return Math.addExact(
                    Math.addExact(
                            Math.addExact(
                                    Math.multiplyExact(c.input(), r[0]), Math.multiplyExact(c.cachedInput(), r[1])),
                            Math.addExact(
                                    Math.multiplyExact(c.cacheWrite(), r[2]), Math.multiplyExact(c.output(), r[3]))),
                    Math.multiplyExact(c.reasoning(), r[3]));
        }

        /** The cost of {@code c}; flagged as a missing price when this is the default price (no model's). */
        PicoCost cost(TokenCounts c) {
            long[] r = c.totalInput() > longAbove ? longRates : rates;
            return new PicoCost(
                    Math.multiplyExact(c.input(), r[0]),
                    Math.multiplyExact(c.cachedInput(), r[1]),
                    Math.multiplyExact(c.cacheWrite(), r[2]),
                    Math.multiplyExact(c.output(), r[3]),
                    Math.multiplyExact(c.reasoning(), r[3]),
                    price,
                    price == null);
        }
    }

    /** A cost in whole picodollars per category; {@link #toCost()} gives the public form. */
    public record PicoCost(
            long input,
            long cachedInput,
            long cacheWrite,
            long output,
            long reasoning,
            @Nullable ModelPrice price,
            boolean priceMissing)
            implements Supplier<Cost> {
        static final PicoCost MISSING = new PicoCost(0, 0, 0, 0, 0, null, true);

        /** {@link #toCost()}: the cost as a deferred {@code RecordedUsage} makes it when asked. */
        @Override
        public Cost get() {
            return toCost();
        }

        public long total() {
            return Math.addExact(
                    Math.addExact(Math.addExact(input, cachedInput), Math.addExact(cacheWrite, output)), reasoning);
        }

        public Cost toCost() {
            return new Cost(
                    new Cost.Split(
                            Money.ofPicos(input),
                            Money.ofPicos(cachedInput),
                            Money.ofPicos(cacheWrite),
                            Money.ofPicos(output),
                            Money.ofPicos(reasoning)),
                    price,
                    priceMissing);
        }
    }

    public DefaultPricingService(
            PricingCatalog catalog,
            UnknownPricePolicy policy,
            @Nullable Rates defaultRates,
            Storage storage,
            Auditor auditor,
            Clock clock) {
        this.base = requireNonNull(catalog, "catalog");
        this.policy = requireNonNull(policy, "policy");
        if (policy == UnknownPricePolicy.DEFAULT_PRICE && defaultRates == null) {
            throw new IllegalStateException("unknownPricePolicy DEFAULT_PRICE needs defaultRates");
        }
        this.defaultPrice = defaultRates == null ? null : Compiled.of(null, defaultRates, null);
        this.storage = storage;
        this.auditor = auditor;
        this.clock = clock;
        this.snapshot = new Snapshot(base, List.of());
        refresh();
    }

    // ------------------------------------------------------------------ lookups and cost

    @Override
    public Optional<ModelPrice> find(String provider, String model, Instant at) {
        return snapshot.catalog().find(provider, model, at);
    }

    @Override
    public Cost cost(String provider, String model, TokenCounts counts, Instant at) {
        requireNonNull(at, "at");
        return picoCost(provider, model, counts, at.toEpochMilli()).toCost();
    }

    /** The cost in picodollars, with the unknown-price policy applied; the recording path. */
    public PicoCost picoCost(String provider, String model, TokenCounts counts, long atMillis) {
        requireNonNull(counts, "counts");
        Compiled c = priced(provider, model, atMillis);
        return c == null ? PicoCost.MISSING : c.cost(counts);
    }

    /**
     * The price of one call, looked up once at {@code authorize}: its completion is costed at the same
     * price without a second lookup, as long as the catalog has not changed in between (a changed
     * catalog is looked up again, so a price added or corrected meanwhile still applies). A quote
     * knows the span of times in which its price is the one in force for the model, so that a token's
     * next call of the same model within that span can be costed at it too (see {@link #quote(String,
     * String, long, Quote)}).
     */
    public static final class Quote {
        private final Snapshot snapshot;
        private final @Nullable Compiled price;
        private final String provider;
        private final String model;
        /** From when (Unix milliseconds, inclusive) the snapshot gives the model this price. */
        private final long validFrom;
        /** Until when (exclusive): when the model's next price starts, or {@code Long.MAX_VALUE}. */
        private final long validUntil;

        private Quote(
                Snapshot snapshot,
                @Nullable Compiled price,
                String provider,
                String model,
                long validFrom,
                long validUntil) {
            this.snapshot = snapshot;
            this.price = price;
            this.provider = provider;
            this.model = model;
            this.validFrom = validFrom;
            this.validUntil = validUntil;
        }

        boolean covers(long atMillis) {
            return validFrom <= atMillis && atMillis < validUntil;
        }
    }

    /**
     * The price of a call of the model at {@code atMillis}, with the unknown-price policy applied (so
     * this throws {@link PriceMissingException} under {@code REJECT}).
     */
    public Quote quote(String provider, String model, long atMillis) {
        return quote(provider, model, atMillis, null);
    }

    /**
     * As {@link #quote(String, String, long)}, but {@code recent} itself when it is the current
     * catalog's price of the same provider and model at {@code atMillis}: the same object a lookup
     * would make an equal of.
     */
    @SuppressWarnings("ReferenceEquality") // the same snapshot, not an equal one: each refresh makes a new one
    public Quote quote(String provider, String model, long atMillis, @Nullable Quote recent) {
        Snapshot s = snapshot;
        if (recent != null
                && recent.snapshot == s
                && recent.covers(atMillis)
                && recent.model.equals(model)
                && recent.provider.equals(provider)) {
            return recent;
        }
        Compiled[] history = history(s, provider, model);
        int i = inForce(history, atMillis);
        if (i >= 0) {
            long until = i == 0 ? Long.MAX_VALUE : history[i - 1].from();
            return new Quote(s, history[i], provider, model, history[i].from(), until);
        }
        // no price in force yet: the policy's answer holds until the model's first price starts
        long until = history.length == 0 ? Long.MAX_VALUE : history[history.length - 1].from();
        return new Quote(s, unpriced(provider, model), provider, model, Long.MIN_VALUE, until);
    }

    /**
     * {@code picoCost(..).total()} of the quote's call at {@code atMillis}, without the parts: what
     * {@code authorize} reserves, and what a completion adjusts its reservations to.
     */
    public long picoTotal(Quote q, TokenCounts counts, long atMillis) {
        requireNonNull(counts, "counts");
        Compiled c = current(q, atMillis);
        return c == null ? 0 : c.total(counts);
    }

    /**
     * {@code picoCost} of the quote's call at {@code atMillis}: the quote's time, or a retry's first
     * attempt's time, at which the quote's price need not be the one in force.
     */
    public PicoCost picoCost(Quote q, TokenCounts counts, long atMillis) {
        requireNonNull(counts, "counts");
        Compiled c = current(q, atMillis);
        return c == null ? PicoCost.MISSING : c.cost(counts);
    }

    /**
     * The quote's price if the catalog is the one it was made from and the price is in force at the
     * time, else the price looked up again.
     */
    @SuppressWarnings("ReferenceEquality") // the same snapshot, not an equal one: each refresh makes a new one
    private @Nullable Compiled current(Quote q, long atMillis) {
        Snapshot s = snapshot;
        return q.snapshot == s && q.covers(atMillis) ? q.price : priced(s, q.provider, q.model, atMillis);
    }

    /**
     * The price a call is costed at: the one in force for the model at {@code atMillis}, else what the
     * unknown-price policy says (the default price, or {@code null} for a flagged zero cost, or a
     * {@link PriceMissingException}).
     */
    private @Nullable Compiled priced(String provider, String model, long atMillis) {
        return priced(snapshot, provider, model, atMillis);
    }

    private @Nullable Compiled priced(Snapshot s, String provider, String model, long atMillis) {
        Compiled[] history = history(s, provider, model);
        int i = inForce(history, atMillis);
        return i >= 0 ? history[i] : unpriced(provider, model);
    }

    /** The index of the price in force at {@code atMillis} in a history newest first, or -1 if none is yet. */
    private static int inForce(Compiled[] history, long atMillis) {
        for (int i = 0; i < history.length; i++) {
            if (history[i].from() <= atMillis) {
                return i;
            }
        }
        return -1;
    }

    /** The model's prices in the snapshot, newest first, compiled once per snapshot. */
    private static Compiled[] history(Snapshot s, String provider, String model) {
        ModelKey key = new ModelKey(requireNonNull(provider, "provider"), requireNonNull(model, "model"));
        Compiled[] history = s.compiled().get(key);
        if (history == null) {
            history = s.catalog().history(provider, model).stream()
                    .map(p -> Compiled.of(p, p.rates(), p.longContext()))
                    .toArray(Compiled[]::new);
            if (s.compiled().size() < MAX_COMPILED_MODELS) {
                s.compiled().put(key, history);
            }
        }
        return history;
    }

    /** What the unknown-price policy says when the model has no price in force. */
    private @Nullable Compiled unpriced(String provider, String model) {
        return switch (policy) {
            case REJECT -> throw new PriceMissingException(provider, model);
            case FLAG -> null;
            case DEFAULT_PRICE -> requireNonNull(defaultPrice);
        };
    }

    @Override
    public UnknownPricePolicy unknownPricePolicy() {
        return policy;
    }

    @Override
    public PricingCatalog catalog() {
        return snapshot.catalog();
    }

    // ------------------------------------------------------------------ runtime prices

    @Override
    public List<ModelPrice> runtimePrices() {
        return snapshot.runtime();
    }

    @Override
    public ModelPrice putPrice(ModelPrice price, Actor actor) {
        requireNonNull(actor, "actor");
        ModelPrice p = normalise(price);
        storage.write(tx -> {
            put(tx, p, actor);
            return null;
        });
        refresh();
        return p;
    }

    @Override
    public boolean removePrice(String provider, String model, Instant effectiveFrom, Actor actor) {
        requireNonNull(effectiveFrom, "effectiveFrom");
        requireNonNull(actor, "actor");
        String prov = Checks.provider("provider", provider).toLowerCase(Locale.ROOT);
        String mod = Checks.model("model", model).toLowerCase(Locale.ROOT);
        boolean removed = storage.write(tx -> {
            Optional<ModelPrice> old = storage.prices().find(tx, prov, mod, effectiveFrom);
            if (old.isEmpty()) {
                return false;
            }
            storage.prices().delete(tx, prov, mod, effectiveFrom);
            auditor.record(
                    tx,
                    SYSTEM_TENANT,
                    actor,
                    AuditAction.PRICE_REMOVED,
                    "price",
                    target(old.get()),
                    AuditOutcome.SUCCESS,
                    describe(old.get()));
            return true;
        });
        refresh();
        return removed;
    }

    @Override
    public int importPrices(InputStream json, Actor actor) throws IOException {
        requireNonNull(json, "json");
        requireNonNull(actor, "actor");
        PricingCatalog file = PricingCatalog.fromJson(json);
        if (!file.aliases().isEmpty()) {
            throw new TokenKeeperException(
                    ErrorCode.CONFIGURATION_INVALID,
                    "price file: aliases are not applied at"
                            + " runtime; give prices under the model id the catalog uses (found "
                            + file.aliases().keySet() + ")");
        }
        List<ModelPrice> prices =
                file.prices().stream().map(DefaultPricingService::normalise).toList();
        int changed = storage.write(tx -> {
            int n = 0;
            for (ModelPrice p : prices) {
                n += put(tx, p, actor) ? 1 : 0;
            }
            return n;
        });
        refresh();
        return changed;
    }

    /** Upserts and audits a price unless the same price is stored already; returns whether it changed. */
    private boolean put(StorageTx tx, ModelPrice p, Actor actor) {
        Optional<ModelPrice> old = storage.prices().find(tx, p.provider(), p.model(), p.effectiveFrom());
        if (old.isPresent() && same(old.get(), p)) {
            return false;
        }
        storage.prices().upsert(tx, p, clock.millis(), actor.id());
        Map<String, String> meta = describe(p);
        meta.put("replaced", Boolean.toString(old.isPresent()));
        auditor.record(tx, SYSTEM_TENANT, actor, AuditAction.PRICE_SET, "price", target(p), AuditOutcome.SUCCESS, meta);
        return true;
    }

    /** Re-reads the runtime prices; keeps the current ones when the database does not answer. */
    @Override
    public void refresh() {
        List<ModelPrice> runtime;
        try {
            runtime = storage.read(tx -> storage.prices().list(tx));
        } catch (TokenKeeperException e) {
            LOG.warn("TokenKeeper: reading runtime prices failed, keeping the current ones: {}", e.getMessage());
            return;
        }
        Snapshot s = snapshot;
        if (!runtime.equals(s.runtime())) {
            snapshot = new Snapshot(base.withOverrides(runtime), List.copyOf(runtime));
        }
    }

    private static ModelPrice normalise(ModelPrice p) {
        requireNonNull(p, "price");
        String provider = Checks.provider("provider", p.provider()).toLowerCase(Locale.ROOT);
        String model = Checks.model("model", p.model()).toLowerCase(Locale.ROOT);
        if (p.source().isBlank() || p.source().length() > MAX_SOURCE_LENGTH) {
            throw new InvalidRequestException(
                    "source", "must name where the price comes from, 1 to " + MAX_SOURCE_LENGTH + " characters");
        }
        Checks.text("source", p.source(), MAX_SOURCE_LENGTH);
        if (p.effectiveFrom().isBefore(Instant.EPOCH)) {
            throw new InvalidRequestException("effectiveFrom", "must not be before 1970");
        }
        return new ModelPrice(
                provider, model, p.effectiveFrom(), p.rates(), p.longContext(), p.source(), p.checkedOn());
    }

    private static boolean same(ModelPrice a, ModelPrice b) {
        return a.rates().equals(b.rates())
                && java.util.Objects.equals(a.longContext(), b.longContext())
                && a.source().equals(b.source())
                && a.checkedOn().equals(b.checkedOn());
    }

    private static String target(ModelPrice p) {
        return p.provider() + "/" + p.model() + "@" + p.effectiveFrom();
    }

    private static Map<String, String> describe(ModelPrice p) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("provider", p.provider());
        m.put("model", p.model());
        m.put("effective_from", p.effectiveFrom().toString());
        rates(m, "", p.rates());
        if (p.longContext() != null) {
            m.put("long_context_above", Long.toString(p.longContext().aboveInputTokens()));
            rates(m, "long_context_", p.longContext().rates());
        }
        m.put("source", p.source());
        m.put("checked_on", p.checkedOn().toString());
        return m;
    }

    private static void rates(Map<String, String> m, String prefix, Rates r) {
        m.put(prefix + "input", r.input().amount().stripTrailingZeros().toPlainString());
        m.put(
                prefix + "cached_input",
                r.cachedInput().amount().stripTrailingZeros().toPlainString());
        m.put(
                prefix + "cache_write",
                r.cacheWrite().amount().stripTrailingZeros().toPlainString());
        m.put(prefix + "output", r.output().amount().stripTrailingZeros().toPlainString());
    }
}
