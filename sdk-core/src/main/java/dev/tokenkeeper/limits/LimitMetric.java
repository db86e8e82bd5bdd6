package dev.tokenkeeper.limits;

/** What a limit counts; its amount and grace are in this metric's unit. */
public enum LimitMetric {
    /** Tokens of every category (input, cached input, cache writes, output, reasoning). */
    TOKENS,
    /** Cost in US dollars, counted in whole picodollars (10⁻¹² USD), exactly. */
    COST_USD,
    /** Calls. */
    REQUESTS
}
