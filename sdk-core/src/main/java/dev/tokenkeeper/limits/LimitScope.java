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
    TOKEN,
    /**
     * The calls of one agent run or session, named by the application (the {@code runId} of the
     * call): a runaway agent stops at its own cap. Typically a {@code TOTAL} budget, deleted when
     * the run ends.
     */
    RUN
}
