package dev.tokenkeeper.pricing;

/**
 * What to do with a call to a model that has no price, so that no spend is silently recorded as $0.
 */
public enum UnknownPricePolicy {
    /** Refuse: {@link PriceMissingException}. The default. */
    REJECT,
    /** Allow and record the usage with cost zero, flagged {@code price_missing} (and counted). */
    FLAG,
    /** Apply the configured default rates, and flag the event. */
    DEFAULT_PRICE
}
