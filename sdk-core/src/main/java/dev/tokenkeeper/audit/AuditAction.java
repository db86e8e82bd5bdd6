package dev.tokenkeeper.audit;

import java.util.Optional;

/** The kinds of audited action. {@link #id()} is the stable name stored and sent over HTTP. */
public enum AuditAction {
    TENANT_CREATED("tenant.created"),
    TOKEN_CREATED("token.created"),
    TOKEN_ROTATED("token.rotated"),
    TOKEN_REVOKED("token.revoked"),
    TOKEN_EXPIRY_CHANGED("token.expiry_changed"),
    LIMIT_CREATED("limit.created"),
    LIMIT_UPDATED("limit.updated"),
    LIMIT_DELETED("limit.deleted"),
    /** A limit's usage crossed an alert threshold, or went into its grace, in one window. */
    LIMIT_ALERT("limit.alert"),
    /** A price added or replaced at runtime (API or file). */
    PRICE_SET("price.set"),
    /** A runtime price removed. */
    PRICE_REMOVED("price.removed"),
    /** A burst of failed verifications, aggregated per window, reason and source. */
    TOKEN_VERIFICATION_FAILED("token.verification_failed");

    private final String id;

    AuditAction(String id) {
        this.id = id;
    }

    /** The stable wire name, such as {@code token.revoked}. */
    public String id() {
        return id;
    }

    /** The action with that wire name, if there is one. */
    public static Optional<AuditAction> fromId(String id) {
        for (AuditAction a : values()) {
            if (a.id.equals(id)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
