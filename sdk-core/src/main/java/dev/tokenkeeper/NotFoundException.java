package dev.tokenkeeper;

/** The addressed tenant or token does not exist (in the caller's tenant). Nothing was written. */
public final class NotFoundException extends TokenKeeperException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(ErrorCode code, String message) {
        super(code, message);
    }
}
