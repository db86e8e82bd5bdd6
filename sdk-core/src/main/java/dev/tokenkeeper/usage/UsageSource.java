package dev.tokenkeeper.usage;

/** Where the token counts of an event come from. */
public enum UsageSource {
    /** Reported by the provider. */
    REPORTED,
    /** Estimated (no report was available). */
    ESTIMATED,
    /** What was known of a stream cut short: a lower bound, never zero by default. */
    PARTIAL
}
