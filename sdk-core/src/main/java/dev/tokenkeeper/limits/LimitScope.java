package dev.tokenkeeper.limits;

/** Whose calls a limit counts. */
public enum LimitScope {
    /** Every call of the tenant. */
    TENANT,
    /** The calls of one user (the token's user id). */
    USER,
    /** The calls of one project (the token's project id). */
    PROJECT,
    /** The calls made with one API token. */
    TOKEN
}
