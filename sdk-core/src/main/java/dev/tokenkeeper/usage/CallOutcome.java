package dev.tokenkeeper.usage;

/** How a call ended. */
public enum CallOutcome {
    SUCCESS,
    ERROR,
    CANCELLED,
    /** Refused by TokenKeeper before it reached the provider. */
    DENIED
}
