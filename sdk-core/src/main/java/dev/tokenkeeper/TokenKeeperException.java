package dev.tokenkeeper;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception TokenKeeper throws. Unchecked; a caller that wants to act on a
 * failure catches one of the subclasses, each of which carries a stable {@link ErrorCode}.
 * Driver exceptions such as {@code SQLException} never leak: they become the cause of a
 * {@link StorageException}.
 */
public class TokenKeeperException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public TokenKeeperException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public TokenKeeperException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.code = requireNonNull(code, "code");
    }

    /** The stable error code. */
    public ErrorCode code() {
        return code;
    }
}
