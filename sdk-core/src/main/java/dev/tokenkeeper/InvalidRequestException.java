package dev.tokenkeeper;

/**
 * A request argument is missing, malformed or out of range. Nothing was written.
 * {@link #field()} names the offending argument (for example {@code "name"} or
 * {@code "metadata"}), so an HTTP adapter can point at it.
 */
public final class InvalidRequestException extends TokenKeeperException {
    private static final long serialVersionUID = 1L;

    private final String field;

    public InvalidRequestException(String field, String message) {
        super(ErrorCode.VALIDATION_FAILED, field + ": " + message);
        this.field = field;
    }

    /** The name of the argument that is wrong. */
    public String field() {
        return field;
    }
}
