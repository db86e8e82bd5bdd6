package dev.tokenkeeper.usage;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.TokenKeeperException;

/**
 * The ledger's queue is full (the database cannot keep up, or is down) and the overflow policy
 * refused to wait, or the wait timed out. The event was not recorded; it is counted in
 * {@link LedgerStats#refused()}. Retrying later is safe: recording is idempotent.
 */
public final class LedgerFullException extends TokenKeeperException {
    private static final long serialVersionUID = 1L;

    public LedgerFullException(String message) {
        super(ErrorCode.LEDGER_FULL, message);
    }
}
