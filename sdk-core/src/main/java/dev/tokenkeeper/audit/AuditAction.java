package dev.tokenkeeper.audit;

import dev.tokenkeeper.InvalidRequestException;
import java.util.List;
import java.util.Optional;

/**
 * The kind of an audited action, by its stable wire name such as {@code token.revoked}: lower-case
 * words of letters, digits and {@code _}, joined by dots, at least two words, at most 64 characters.
 *
 * <p>TokenKeeper writes the actions of the namespaces {@code tenant.}, {@code token.},
 * {@code limit.} and {@code price.} itself ({@link #builtIn()}); an application records its own
 * actions (a login, a refused request) under any other namespace through
 * {@link AuditService#record}. Compare actions with {@code equals}.
 *
 * @param id the stable name stored and sent over HTTP
 */
public record AuditAction(String id) {
    private static final int MAX_LENGTH = 64;
    private static final List<String> RESERVED = List.of("tenant.", "token.", "limit.", "price.");

    public static final AuditAction TENANT_CREATED = new AuditAction("tenant.created");
    public static final AuditAction TOKEN_CREATED = new AuditAction("token.created");
    public static final AuditAction TOKEN_ROTATED = new AuditAction("token.rotated");
    public static final AuditAction TOKEN_REVOKED = new AuditAction("token.revoked");
    public static final AuditAction TOKEN_EXPIRY_CHANGED = new AuditAction("token.expiry_changed");
    public static final AuditAction LIMIT_CREATED = new AuditAction("limit.created");
    public static final AuditAction LIMIT_UPDATED = new AuditAction("limit.updated");
    public static final AuditAction LIMIT_DELETED = new AuditAction("limit.deleted");
    /** A limit's usage crossed an alert threshold, or went into its grace, in one window. */
    public static final AuditAction LIMIT_ALERT = new AuditAction("limit.alert");
    /** A price added or replaced at runtime (API or file). */
    public static final AuditAction PRICE_SET = new AuditAction("price.set");
    /** A runtime price removed. */
    public static final AuditAction PRICE_REMOVED = new AuditAction("price.removed");
    /** A burst of failed verifications, aggregated per window, reason and source. */
    public static final AuditAction TOKEN_VERIFICATION_FAILED = new AuditAction("token.verification_failed");
    /**
     * A request that a verified caller was not allowed to make (an HTTP 403, or a 404 for an
     * object of another tenant). Not written by TokenKeeper itself: applications record it, as the
     * reference app does, usually through {@link AuditService#recordAggregated}.
     */
    public static final AuditAction ACCESS_DENIED = new AuditAction("access.denied");

    private static final List<AuditAction> BUILT_IN = List.of(
            TENANT_CREATED,
            TOKEN_CREATED,
            TOKEN_ROTATED,
            TOKEN_REVOKED,
            TOKEN_EXPIRY_CHANGED,
            LIMIT_CREATED,
            LIMIT_UPDATED,
            LIMIT_DELETED,
            LIMIT_ALERT,
            PRICE_SET,
            PRICE_REMOVED,
            TOKEN_VERIFICATION_FAILED);

    /**
     * @throws InvalidRequestException when the name is not of the form described above
     */
    public AuditAction {
        if (!wellFormed(id)) {
            throw new InvalidRequestException(
                    "action",
                    "must be lower-case words of letters, digits or '_' joined by dots, such as 'user.login',"
                            + " at most " + MAX_LENGTH + " characters");
        }
    }

    /**
     * The action with that name: the constant for a built-in one.
     *
     * @throws InvalidRequestException when the name is not well formed
     */
    public static AuditAction of(String id) {
        for (AuditAction a : BUILT_IN) {
            if (a.id.equals(id)) {
                return a;
            }
        }
        return ACCESS_DENIED.id.equals(id) ? ACCESS_DENIED : new AuditAction(id);
    }

    /** The action with that name, or empty when the name is not well formed. */
    public static Optional<AuditAction> fromId(String id) {
        return wellFormed(id) ? Optional.of(of(id)) : Optional.empty();
    }

    /** The actions TokenKeeper writes itself, in declaration order. */
    public static List<AuditAction> builtIn() {
        return BUILT_IN;
    }

    /** Whether the name lies in a namespace TokenKeeper writes itself, which applications cannot record. */
    public boolean isReserved() {
        for (String prefix : RESERVED) {
            if (id.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return id;
    }

    private static boolean wellFormed(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        int dots = 0;
        boolean wordStart = true;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c == '.') {
                if (wordStart) {
                    return false;
                }
                dots++;
                wordStart = true;
            } else if ((c >= 'a' && c <= 'z') || (wordStart ? false : (c >= '0' && c <= '9') || c == '_')) {
                wordStart = false;
            } else {
                return false;
            }
        }
        return !wordStart && dots >= 1;
    }
}
