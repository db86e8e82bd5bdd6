package dev.tokenkeeper.app.api;

import dev.tokenkeeper.app.config.AppProperties;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseCookie;
import org.springframework.stereotype.Component;

/**
 * How a browser keeps a session: the access token lives in the page's memory only, and the refresh
 * token in a cookie that scripts cannot read ({@code HttpOnly}), that travels over HTTPS only
 * ({@code Secure}; browsers treat {@code http://localhost} as secure), to no other site's request
 * ({@code SameSite=Strict}) and only to {@code /api/v1/auth}.
 *
 * <p>A refresh by cookie also needs the header {@code X-CSRF-Token}, whose value the page reads from
 * the readable cookie {@code tk_csrf}: the SHA-256 of the refresh token, so it changes with every
 * refresh, needs no storage, and cannot be made up by anyone who does not hold the refresh token.
 * Another site can neither read that cookie nor, without a CORS preflight that the app refuses, send
 * the header — the double-submit pattern, bound to the session.
 */
@Component
public class SessionCookies {
    /** The refresh token. */
    public static final String REFRESH = "tk_refresh";
    /** The value the page echoes in {@link #HEADER}. */
    public static final String CSRF = "tk_csrf";

    public static final String HEADER = "X-CSRF-Token";

    private static final String REFRESH_PATH = "/api/v1/auth";

    private final Duration ttl;

    public SessionCookies(AppProperties props) {
        this.ttl = props.auth().refreshTokenTtl();
    }

    /** Sets both cookies for a new refresh token. */
    void set(HttpServletResponse response, String refreshToken) {
        write(response, REFRESH, refreshToken, REFRESH_PATH, true, ttl);
        write(response, CSRF, csrfValue(refreshToken), "/", false, ttl);
    }

    /** Removes both cookies. */
    void clear(HttpServletResponse response) {
        write(response, REFRESH, "", REFRESH_PATH, true, Duration.ZERO);
        write(response, CSRF, "", "/", false, Duration.ZERO);
    }

    /**
     * The refresh token of the cookie, checked against the request's CSRF header; a missing cookie is
     * a 401, a missing or wrong header a 403.
     */
    String refreshToken(HttpServletRequest request) {
        String token = cookie(request, REFRESH);
        if (token == null || token.isEmpty()) {
            throw ApiAuth.unauthorized(
                    "invalid_refresh_token",
                    "no refresh token: send {\"refresh_token\":...} or log in with \"refresh_token_in_cookie\":true",
                    null);
        }
        String header = request.getHeader(HEADER);
        if (header == null
                || !MessageDigest.isEqual(
                        header.getBytes(StandardCharsets.US_ASCII),
                        csrfValue(token).getBytes(StandardCharsets.US_ASCII))) {
            throw new ApiException(
                    org.springframework.http.HttpStatus.FORBIDDEN,
                    "csrf_failed",
                    "a refresh by cookie needs the header " + HEADER + " with the value of the cookie " + CSRF);
        }
        return token;
    }

    static String csrfValue(String refreshToken) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("tokenkeeper-csrf:" + refreshToken).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static @Nullable String cookie(HttpServletRequest request, String name) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return null;
        }
        String found = null;
        for (Cookie c : cookies) {
            if (name.equals(c.getName())) {
                if (found != null && !found.equals(c.getValue())) {
                    return null; // two different values: trust neither
                }
                found = c.getValue();
            }
        }
        return found;
    }

    private static void write(
            HttpServletResponse response, String name, String value, String path, boolean httpOnly, Duration maxAge) {
        response.addHeader(
                HttpHeaders.SET_COOKIE,
                ResponseCookie.from(name, value)
                        .path(path)
                        .maxAge(maxAge)
                        .httpOnly(httpOnly)
                        .secure(true)
                        .sameSite("Strict")
                        .build()
                        .toString());
    }
}
