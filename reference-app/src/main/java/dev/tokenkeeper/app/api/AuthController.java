package dev.tokenkeeper.app.api;

import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.app.accounts.User;
import jakarta.servlet.http.HttpServletRequest;
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
 * log out, who am I, change my password. Login and refresh take no bearer token; the others do.
 */
@RestController
@RequestMapping("/api/v1/auth")
public class AuthController {
    private final Accounts accounts;
    private final Access access;

    public AuthController(Accounts accounts, Access access) {
        this.accounts = accounts;
        this.access = access;
    }

    record LoginRequest(@Nullable String username, @Nullable String password) {
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

    /** The answer of login and refresh (the shape of an OAuth 2.0 token response, RFC 6749 section 5.1). */
    record TokenResponse(String accessToken, String tokenType, long expiresIn, String refreshToken) {
        static TokenResponse of(Accounts.Tokens t) {
            return new TokenResponse(t.accessToken(), "Bearer", t.expiresIn(), t.refreshToken());
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
    ResponseEntity<TokenResponse> login(@RequestBody LoginRequest body, HttpServletRequest request) {
        return noStore(TokenResponse.of(accounts.login(body.username(), body.password(), request.getRemoteAddr())));
    }

    @PostMapping("/refresh")
    ResponseEntity<TokenResponse> refresh(@RequestBody RefreshRequest body, HttpServletRequest request) {
        return noStore(TokenResponse.of(accounts.refresh(body.refreshToken(), request.getRemoteAddr())));
    }

    /** Ends the caller's session: its access and refresh tokens stop working at once. */
    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.NO_CONTENT)
    @PostMapping("/logout")
    ResponseEntity<Void> logout(HttpServletRequest request) {
        Caller caller = Caller.of(request);
        Accounts.Session session = session(caller);
        accounts.logout(session.sessionId(), session.user(), caller.actor());
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
