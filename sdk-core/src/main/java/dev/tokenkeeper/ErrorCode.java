package dev.tokenkeeper;

/**
 * Stable, machine-readable error codes. The {@link #id()} of a code never changes once released;
 * HTTP adapters send it as the {@code code} member of an RFC 9457 problem document.
 */
public enum ErrorCode {
    /** A request argument is missing, malformed or out of range. */
    VALIDATION_FAILED("validation_failed"),
    /** The tenant named by the request does not exist. */
    TENANT_NOT_FOUND("tenant_not_found"),
    /** The tenant already exists. */
    TENANT_EXISTS("tenant_exists"),
    /** No token with that id exists in the tenant. */
    TOKEN_NOT_FOUND("token_not_found"),
    /** No trace with that id exists in the tenant. */
    TRACE_NOT_FOUND("trace_not_found"),
    /** No limit with that id exists in the tenant. */
    LIMIT_NOT_FOUND("limit_not_found"),
    /** The token is revoked and cannot be changed any more. */
    TOKEN_REVOKED("token_revoked"),
    /** The token is expired; extend its expiry first. */
    TOKEN_EXPIRED("token_expired"),
    /** No price is known for the model and the unknown-price policy refuses such calls. */
    PRICE_MISSING("price_missing"),
    /** The usage ledger's queue is full; the event was not recorded. */
    LEDGER_FULL("ledger_full"),
    /** The storage backend failed or cannot be reached. */
    STORAGE_UNAVAILABLE("storage_unavailable"),
    /** The configuration is inconsistent (for example a pepper that differs from the stored one). */
    CONFIGURATION_INVALID("configuration_invalid");

    private final String id;

    ErrorCode(String id) {
        this.id = id;
    }

    /** The stable wire name, in snake_case. */
    public String id() {
        return id;
    }
}
