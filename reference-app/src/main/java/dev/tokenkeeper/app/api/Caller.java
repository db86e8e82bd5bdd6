package dev.tokenkeeper.app.api;

import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.tokens.Role;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

/**
 * Who makes a control-API request: a person through a session (a JWT access token), or automation
 * through a TokenKeeper API token. Role and tenant are the current ones: for a session, the user's
 * as stored now, not as written in the token.
 *
 * @param kind how the caller authenticated
 * @param tenantId the tenant the request acts in
 * @param role admin, user or agent
 * @param userId the user: a session's, or an API token's {@code user_id}; {@code null} only for an
 *     admin token issued for no user
 * @param tokenId the API token, for an API-token caller
 * @param sessionId the session, for a session caller
 * @param actor how the caller appears in the audit log: {@code user:<id>} for a session,
 *     {@code user:<id>/token:<id>} for a user's API token, {@code token:<id>} for an admin token of
 *     no user; with the client address as its source
 */
public record Caller(
        Kind kind,
        String tenantId,
        Role role,
        @Nullable String userId,
        @Nullable String tokenId,
        @Nullable String sessionId,
        Actor actor) {
    static final String ATTRIBUTE = Caller.class.getName();

    /** How a caller authenticated. */
    public enum Kind {
        SESSION,
        API_TOKEN
    }

    public boolean admin() {
        return role == Role.ADMIN;
    }

    /** The authenticated caller of a request that passed {@link ApiAuth}. */
    public static Caller of(HttpServletRequest request) {
        if (request.getAttribute(ATTRIBUTE) instanceof Caller c) {
            return c;
        }
        throw new IllegalStateException("the request was not authenticated");
    }

    /** The caller, or {@code null} before authentication succeeded. */
    public static @Nullable Caller orNull(HttpServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof Caller c ? c : null;
    }

    static String actorId(@Nullable String userId, @Nullable String tokenId) {
        if (tokenId == null) {
            return "user:" + userId;
        }
        String delegate = "user:" + userId + "/token:" + tokenId;
        // actor ids hold 128 characters; a token made outside the app may name a longer user id
        return userId == null || delegate.length() > 128 ? "token:" + tokenId : delegate;
    }
}
