package dev.tokenkeeper;

/**
 * The request is well-formed but conflicts with the current state, for example rotating a revoked
 * token. Nothing was written.
 */
public final class ConflictException extends TokenKeeperException {
    private static final long serialVersionUID = 1L;

    public ConflictException(ErrorCode code, String message) {
        super(code, message);
    }
}
