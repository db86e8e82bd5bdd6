package dev.tokenkeeper.pricing;

import java.time.Instant;
import java.util.Optional;

/**
 * Prices and exact cost. Obtain it from {@code keeper.pricing()}; thread-safe.
 *
 * <pre>{@code
 * Cost c = keeper.pricing().cost("anthropic", "claude-sonnet-4-5-20250929",
 *         new TokenCounts(1200, 8000, 0, 350, 0), Instant.now());
 * c.total();            // 0.01125 USD: 1,200 x $3 + 8,000 x $0.30 + 350 x $15 per million, exact
 * c.split().output();   // Money 0.00525
 * }</pre>
 */
public interface PricingService {
    /** The price in effect at {@code at}, if one is known. */
    Optional<ModelPrice> find(String provider, String model, Instant at);

    /**
     * The exact cost of a call with {@code counts} made at {@code at}. When no price is known, the
     * {@link UnknownPricePolicy} decides: {@code REJECT} throws {@link PriceMissingException};
     * {@code FLAG} returns a zero cost with {@link Cost#priceMissing()} set; {@code DEFAULT_PRICE}
     * applies the default rates, also with {@code priceMissing} set.
     */
    Cost cost(String provider, String model, TokenCounts counts, Instant at);

    UnknownPricePolicy unknownPricePolicy();

    PricingCatalog catalog();
}
