package dev.tokenkeeper.tokens;

/** Why a presented secret was not accepted. */
public enum RejectionReason {
    /** Not a TokenKeeper secret: wrong prefix, length, alphabet or checksum. Decided without I/O. */
    INVALID,
    /** Well-formed, but no token has this secret. */
    NOT_FOUND,
    /** The token's expiry time has passed. */
    EXPIRED,
    /** The token was revoked, or this secret was replaced by a rotation and its grace period ended. */
    REVOKED
}
