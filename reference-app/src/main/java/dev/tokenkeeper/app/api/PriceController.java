package dev.tokenkeeper.app.api;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.config.AppProperties;
import dev.tokenkeeper.pricing.ModelPrice;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.Rates;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Prices: the effective list (bundled catalog plus runtime prices) for any admin; setting and removing
 * runtime prices, which apply to every tenant, only for admins of the operator's tenant (the app's
 * default tenant). Changes are audited under the {@code _system} tenant.
 */
@RestController
public class PriceController {
    private final TokenKeeper keeper;
    private final AppProperties props;

    public PriceController(TokenKeeper keeper, AppProperties props) {
        this.keeper = keeper;
        this.props = props;
    }

    /** Rates in USD per million tokens, as decimal strings. */
    record RatesView(String input, String cachedInput, String cacheWrite, String output) {
        static RatesView of(Rates r) {
            return new RatesView(plain(r.input()), plain(r.cachedInput()), plain(r.cacheWrite()), plain(r.output()));
        }

        Rates toRates(String prefix) {
            return new Rates(
                    money(prefix + "input", input),
                    money(prefix + "cached_input", cachedInput),
                    money(prefix + "cache_write", cacheWrite),
                    money(prefix + "output", output));
        }
    }

    record LongContextView(long aboveInputTokens, String input, String cachedInput, String cacheWrite, String output) {}

    record PriceView(
            String provider,
            String model,
            Instant effectiveFrom,
            String input,
            String cachedInput,
            String cacheWrite,
            String output,
            @Nullable LongContextView longContext,
            String source,
            LocalDate checkedOn,
            boolean runtime) {
        static PriceView of(ModelPrice p, boolean runtime) {
            RatesView r = RatesView.of(p.rates());
            LongContextView lc = null;
            if (p.longContext() != null) {
                RatesView l = RatesView.of(p.longContext().rates());
                lc = new LongContextView(
                        p.longContext().aboveInputTokens(), l.input(), l.cachedInput(), l.cacheWrite(), l.output());
            }
            return new PriceView(
                    p.provider(),
                    p.model(),
                    p.effectiveFrom(),
                    r.input(),
                    r.cachedInput(),
                    r.cacheWrite(),
                    r.output(),
                    lc,
                    p.source(),
                    p.checkedOn(),
                    runtime);
        }
    }

    record PriceList(List<PriceView> items) {}

    /** The body of {@code PUT /api/v1/prices}. */
    record PriceRequest(
            @Nullable String provider,
            @Nullable String model,
            @Nullable String effectiveFrom,
            @Nullable String input,
            @Nullable String cachedInput,
            @Nullable String cacheWrite,
            @Nullable String output,
            @Nullable LongContextView longContext,
            @Nullable String source,
            @Nullable String checkedOn) {}

    @GetMapping("/api/v1/prices")
    PriceList list(
            @RequestParam(name = "provider", required = false) @Nullable String provider,
            @RequestParam(name = "model", required = false) @Nullable String model) {
        Set<String> runtime = new HashSet<>();
        for (ModelPrice p : keeper.pricing().runtimePrices()) {
            runtime.add(key(p));
        }
        return new PriceList(keeper.pricing().catalog().prices().stream()
                .filter(p -> provider == null || p.provider().equalsIgnoreCase(provider))
                .filter(p -> model == null || p.model().equalsIgnoreCase(model))
                .sorted(Comparator.comparing(ModelPrice::provider)
                        .thenComparing(ModelPrice::model)
                        .thenComparing(ModelPrice::effectiveFrom))
                .map(p -> PriceView.of(p, runtime.contains(key(p))))
                .toList());
    }

    @PutMapping("/api/v1/prices")
    PriceView put(@RequestBody PriceRequest body, HttpServletRequest request) {
        requireOperator(request);
        Instant from = Params.instant("effective_from", body.effectiveFrom(), Instant.EPOCH);
        Rates rates = new RatesView(
                        required("input", body.input()),
                        required("cached_input", body.cachedInput()),
                        required("cache_write", body.cacheWrite()),
                        required("output", body.output()))
                .toRates("");
        ModelPrice.LongContext lc = null;
        if (body.longContext() != null) {
            LongContextView l = body.longContext();
            lc = new ModelPrice.LongContext(
                    l.aboveInputTokens(),
                    new RatesView(
                                    required("long_context.input", l.input()),
                                    required("long_context.cached_input", l.cachedInput()),
                                    required("long_context.cache_write", l.cacheWrite()),
                                    required("long_context.output", l.output()))
                            .toRates("long_context."));
        }
        LocalDate checked = body.checkedOn() == null
                ? LocalDate.ofInstant(keeper.clock().instant(), java.time.ZoneOffset.UTC)
                : date("checked_on", body.checkedOn());
        ModelPrice stored = keeper.pricing()
                .putPrice(
                        new ModelPrice(
                                required("provider", body.provider()),
                                required("model", body.model()),
                                from,
                                rates,
                                lc,
                                required("source", body.source()),
                                checked),
                        Caller.of(request).actor());
        return PriceView.of(stored, true);
    }

    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.NO_CONTENT)
    @DeleteMapping("/api/v1/prices/{provider}/{model}")
    ResponseEntity<Void> remove(
            @PathVariable("provider") String provider,
            @PathVariable("model") String model,
            @RequestParam(name = "effective_from", required = false) @Nullable String effectiveFrom,
            HttpServletRequest request) {
        requireOperator(request);
        Instant from = Params.instant("effective_from", effectiveFrom, Instant.EPOCH);
        if (!keeper.pricing()
                .removePrice(provider, model, from, Caller.of(request).actor())) {
            throw new ApiException(
                    HttpStatus.NOT_FOUND,
                    "price_not_found",
                    "no runtime price of " + provider + "/" + model + " takes effect at " + from);
        }
        return ResponseEntity.noContent().build();
    }

    private void requireOperator(HttpServletRequest request) {
        Caller caller = Caller.of(request);
        if (!caller.admin() || !caller.tenantId().equals(props.defaultTenant())) {
            throw ApiException.forbidden(
                    "operator_only",
                    "prices apply to every tenant: only admins of the operator's tenant may change them");
        }
    }

    private static String key(ModelPrice p) {
        return p.provider().toLowerCase(Locale.ROOT) + "/" + p.model().toLowerCase(Locale.ROOT) + "@"
                + p.effectiveFrom();
    }

    private static String plain(Money m) {
        return m.amount().stripTrailingZeros().toPlainString();
    }

    private static Money money(String field, String value) {
        try {
            return Money.of(value);
        } catch (dev.tokenkeeper.InvalidRequestException e) {
            throw TokenController.badRequest(field, "must be a decimal string of US dollars per million tokens");
        }
    }

    private static String required(String field, @Nullable String value) {
        if (value == null || value.isBlank()) {
            throw TokenController.badRequest(field, "is required");
        }
        return value;
    }

    private static LocalDate date(String field, String value) {
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw TokenController.badRequest(field, "must be a date such as 2026-11-22");
        }
    }
}
