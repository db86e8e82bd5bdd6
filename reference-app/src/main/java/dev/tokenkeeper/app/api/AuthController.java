package dev.tokenkeeper.app.api;

import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.app.accounts.User;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Sessions of people: log in with a user name and password, refresh (rotating the refresh token),
 * log out, who am I, change my password. Login and refresh take no bearer token; the others do. A
 * browser keeps the refresh token in an HttpOnly cookie instead of the answer ({@link
 * SessionCookies}).
 */
@RestController
@RequestMapping("/api/v1/auth")
public class AuthController {
    private final Accounts accounts;
    private final Access access;
    private final SessionCookies cookies;

    public AuthController(Accounts accounts, Access access, SessionCookies cookies) {
        this.accounts = accounts;
        this.access = access;
        this.cookies = cookies;
    }

    record LoginRequest(
            @Nullable String username,
            @Nullable String password,
            @Nullable Boolean refreshTokenInCookie) {
        @Override
        public String toString() {
            return "LoginRequest[username=" + username + "]";
        }
    }

    record RefreshRequest(@Nullable String refreshToken) {
        @Override
        public String toString() {
            return "RefreshRequest[]";
        }
    }

    record PasswordRequest(
            @Nullable String currentPassword, @Nullable String newPassword) {
        @Override
        public String toString() {
            return "PasswordRequest[]";
        }
    }

    /**
     * The answer of login and refresh (the shape of an OAuth 2.0 token response, RFC 6749 section
     * 5.1); without the refresh token when it went into a cookie.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record TokenResponse(
            String accessToken,
            String tokenType,
            long expiresIn,
            @Nullable String refreshToken) {
        static TokenResponse of(Accounts.Tokens t) {
            return new TokenResponse(t.accessToken(), "Bearer", t.expiresIn(), t.refreshToken());
        }

        TokenResponse withoutRefreshToken() {
            return new TokenResponse(accessToken, tokenType, expiresIn, null);
        }
    }

    record MeView(
            String authenticatedBy,
            String tenantId,
            String role,
            @Nullable String userId,
            @Nullable String username,
            @Nullable String tokenId,
            boolean operator) {}

    @PostMapping("/login")
    ResponseEntity<TokenResponse> login(
            @RequestBody LoginRequest body, HttpServletRequest request, HttpServletResponse response) {
        Accounts.Tokens tokens = accounts.login(body.username(), body.password(), request.getRemoteAddr());
        if (Boolean.TRUE.equals(body.refreshTokenInCookie())) {
            cookies.set(response, tokens.refreshToken());
            return noStore(TokenResponse.of(tokens).withoutRefreshToken());
        }
        return noStore(TokenResponse.of(tokens));
    }

    /**
     * With a refresh token in the body, answers like login. Without one, the refresh token comes from
     * the session cookie, and the request must prove it comes from the dashboard's own page: the
     * {@code X-CSRF-Token} header must carry the value bound to that refresh token.
     */
    @PostMapping("/refresh")
    ResponseEntity<TokenResponse> refresh(
            @RequestBody(required = false) @Nullable RefreshRequest body,
            HttpServletRequest request,
            HttpServletResponse response) {
        if (body != null && body.refreshToken() != null) {
            return noStore(TokenResponse.of(accounts.refresh(body.refreshToken(), request.getRemoteAddr())));
        }
        String fromCookie = cookies.refreshToken(request);
        Accounts.Tokens tokens = accounts.refresh(fromCookie, request.getRemoteAddr());
        cookies.set(response, tokens.refreshToken());
        return noStore(TokenResponse.of(tokens).withoutRefreshToken());
    }

    /** Ends the caller's session: its access and refresh tokens stop working at once. */
    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.NO_CONTENT)
    @PostMapping("/logout")
    ResponseEntity<Void> logout(HttpServletRequest request, HttpServletResponse response) {
        Caller caller = Caller.of(request);
        Accounts.Session session = session(caller);
        accounts.logout(session.sessionId(), session.user(), caller.actor());
        cookies.clear(response);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/me")
    MeView me(HttpServletRequest request) {
        Caller caller = Caller.of(request);
        String username = caller.userId() == null
                ? null
                : accounts.findUser(caller.tenantId(), caller.userId())
                        .map(User::username)
                        .orElse(null);
        return new MeView(
                caller.kind().name().toLowerCase(Locale.ROOT),
                caller.tenantId(),
                caller.role().name().toLowerCase(Locale.ROOT),
                caller.userId(),
                username,
                caller.tokenId(),
                access.isOperator(caller));
    }

    /** Changes the caller's own password (the current one is required); ends their other sessions. */
    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.NO_CONTENT)
    @PutMapping("/password")
    ResponseEntity<Void> password(@RequestBody PasswordRequest body, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        accounts.changePassword(session(caller), body.currentPassword(), body.newPassword(), caller.actor());
        return ResponseEntity.noContent().build();
    }

    private Accounts.Session session(Caller caller) {
        if (caller.kind() != Caller.Kind.SESSION || caller.sessionId() == null || caller.userId() == null) {
            throw ApiException.forbidden(
                    "session_required",
                    "this endpoint acts on a session: call it with an access token from POST /api/v1/auth/login");
        }
        User user = accounts.findUser(caller.tenantId(), caller.userId())
                .orElseThrow(() ->
                        ApiAuth.unauthorized("invalid_token", "the session's user no longer exists", "invalid_token"));
        return new Accounts.Session(caller.sessionId(), user);
    }

    private static <T> ResponseEntity<T> noStore(T body) {
        // RFC 6749 section 5.1: token responses are not cached
        return ResponseEntity.ok()
                .header("Cache-Control", "no-store")
                .header("Pragma", "no-cache")
                .body(body);
    }
}
