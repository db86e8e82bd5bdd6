package dev.tokenkeeper.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.pricing.Cost;
import dev.tokenkeeper.pricing.ModelPrice;
import dev.tokenkeeper.pricing.PriceMissingException;
import dev.tokenkeeper.pricing.PricingCatalog;
import dev.tokenkeeper.pricing.PricingService;
import dev.tokenkeeper.pricing.Rates;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.pricing.UnknownPricePolicy;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

public final class DefaultPricingService implements PricingService {
    private final PricingCatalog catalog;
    private final UnknownPricePolicy policy;
    private final @Nullable Rates defaultRates;

    public DefaultPricingService(PricingCatalog catalog, UnknownPricePolicy policy, @Nullable Rates defaultRates) {
        this.catalog = requireNonNull(catalog, "catalog");
        this.policy = requireNonNull(policy, "policy");
        if (policy == UnknownPricePolicy.DEFAULT_PRICE && defaultRates == null) {
            throw new IllegalStateException("unknownPricePolicy DEFAULT_PRICE needs defaultRates");
        }
        this.defaultRates = defaultRates;
    }

    @Override
    public Optional<ModelPrice> find(String provider, String model, Instant at) {
        return catalog.find(provider, model, at);
    }

    @Override
    public Cost cost(String provider, String model, TokenCounts counts, Instant at) {
        requireNonNull(counts, "counts");
        Optional<ModelPrice> price = catalog.find(provider, model, at);
        if (price.isPresent()) {
            return price.get().costOf(counts);
        }
        return switch (policy) {
            case REJECT -> throw new PriceMissingException(provider, model);
            case FLAG -> new Cost(Cost.Split.ZERO, null, true);
            case DEFAULT_PRICE -> new Cost(requireNonNull(defaultRates).costOf(counts), null, true);
        };
    }

    @Override
    public UnknownPricePolicy unknownPricePolicy() {
        return policy;
    }

    @Override
    public PricingCatalog catalog() {
        return catalog;
    }
}
