package dev.tokenkeeper.tokens;

/** The lifecycle state of a token at a given instant. */
public enum TokenStatus {
    ACTIVE,
    EXPIRED,
    REVOKED
}
