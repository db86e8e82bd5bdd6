package dev.tokenkeeper.pricing;

import dev.tokenkeeper.audit.Actor;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
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

    /** The effective catalog: the configured one with the runtime prices on top. */
    PricingCatalog catalog();

    /**
     * Adds a price, or replaces the one of the same model taking effect at the same instant. It is
     * stored in the database, so every instance applies it (others within their price-sync
     * interval); it wins over a bundled price of the same instant; the change is audited as
     * {@code price.set} under the {@code _system} tenant. Setting the same price again changes nothing.
     * Provider and model ids are stored in lower case; a price named by an alias applies to its model.
     *
     * @return the price as stored
     */
    ModelPrice putPrice(ModelPrice price, Actor actor);

    /** Removes a runtime price (audited as {@code price.removed}); returns whether there was one. */
    boolean removePrice(String provider, String model, Instant effectiveFrom, Actor actor);

    /**
     * Sets every price of a file in the catalog's JSON format (without aliases), in one transaction:
     * all or none. Each price that is new or different is audited.
     *
     * @return how many prices changed
     * @throws dev.tokenkeeper.TokenKeeperException {@code CONFIGURATION_INVALID} naming the bad entry
     */
    int importPrices(InputStream json, Actor actor) throws IOException;

    /** The prices set at runtime, by provider, model and effective instant. */
    List<ModelPrice> runtimePrices();

    /** Re-reads the runtime prices now (it also happens on a schedule). */
    void refresh();
}
