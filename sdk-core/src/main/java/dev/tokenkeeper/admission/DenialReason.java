package dev.tokenkeeper.admission;

/** Why a call was refused. */
public enum DenialReason {
    /** Not a TokenKeeper secret (HTTP 401). */
    TOKEN_INVALID(false),
    /** No token has this secret (HTTP 401). */
    TOKEN_NOT_FOUND(false),
    /** The token has expired (HTTP 401). */
    TOKEN_EXPIRED(false),
    /** The token was revoked or its secret rotated away (HTTP 401). */
    TOKEN_REVOKED(false),
    /** The token may not call this provider (HTTP 403). */
    PROVIDER_NOT_ALLOWED(false),
    /** The token may not call this model (HTTP 403). */
    MODEL_NOT_ALLOWED(false),
    /** The model has no price and the unknown-price policy refuses such calls (HTTP 403). */
    PRICE_MISSING(false),
    /** A budget is exhausted until its window ends, {@link Denial#resetAt()} (HTTP 403 or 402). */
    BUDGET_EXCEEDED(false),
    /** A rate limit: retry after {@link Denial#retryAfter()} (HTTP 429). */
    RATE_LIMITED(true),
    /**
     * The limits or counters needed could not be read because the database does not answer, and the
     * policy is to fail closed (HTTP 503; retry after {@link Denial#retryAfter()}).
     */
    STORAGE_UNAVAILABLE(true);

    private final boolean retryableSoon;

    DenialReason(boolean retryableSoon) {
        this.retryableSoon = retryableSoon;
    }

    /** Whether retrying after a short wait can succeed (a rate limit), as opposed to a budget or a bad token. */
    public boolean retryableSoon() {
        return retryableSoon;
    }
}
