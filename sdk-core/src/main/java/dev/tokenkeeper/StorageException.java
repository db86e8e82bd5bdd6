package dev.tokenkeeper;

import org.jspecify.annotations.Nullable;

/**
 * The storage backend failed or could not be reached. The operation did not take effect (every
 * write runs in one transaction); it may be retried.
 */
public final class StorageException extends TokenKeeperException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message, @Nullable Throwable cause) {
        super(ErrorCode.STORAGE_UNAVAILABLE, message, cause);
    }
}
