package dev.tokenkeeper.servlet;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.RequestAdmission;
import dev.tokenkeeper.tokens.Principal;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Puts TokenKeeper in front of servlet endpoints: authenticates the caller's API token, applies its
 * per-request rate limits, and answers the way HTTP clients expect:
 *
 * <ul>
 *   <li>401 with {@code WWW-Authenticate: Bearer realm="..."} for a missing token, and with
 *       {@code error="invalid_token"} for a refused one (RFC 6750, section 3);
 *   <li>403 with {@code error="insufficient_scope"} when a required scope is missing;
 *   <li>429 with {@code Retry-After} (seconds, rounded up) for a rate limit;
 *   <li>503 with {@code Retry-After} when the limits cannot be read and the policy fails closed.
 * </ul>
 *
 * Every refusal has an RFC 9457 {@code application/problem+json} body with a stable {@code code}. An
 * admitted request goes on with the caller's {@link Principal} as the request attribute
 * {@link #PRINCIPAL}. The token is taken from {@code Authorization: Bearer}, or from an API-key
 * header when one is configured.
 */
public final class TokenKeeperFilter implements Filter {
    /** The request attribute holding the caller's {@link Principal}. */
    public static final String PRINCIPAL = "dev.tokenkeeper.principal";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenKeeper keeper;
    private final String realm;
    private final @Nullable String apiKeyHeader;
    private final @Nullable String requiredScope;

    private TokenKeeperFilter(Builder b) {
        this.keeper = b.keeper;
        this.realm = b.realm;
        this.apiKeyHeader = b.apiKeyHeader;
        this.requiredScope = b.requiredScope;
    }

    public static Builder builder(TokenKeeper keeper) {
        return new Builder(keeper);
    }

    /** The caller of a request this filter admitted, or {@code null}. */
    public static @Nullable Principal principal(ServletRequest request) {
        return (Principal) request.getAttribute(PRINCIPAL);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)) {
            chain.doFilter(req, res);
            return;
        }
        String secret = secret(request);
        if (secret == null) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\"");
            problem(response, 401, "missing_token", "Unauthorized", "an 'Authorization: Bearer <token>' header is required");
            return;
        }
        RequestAdmission admission = keeper.checkRequest(secret, request.getRemoteAddr());
        Denial d = admission.denial();
        if (d != null) {
            refuse(response, d);
            return;
        }
        Principal principal = requireNonNull(admission.principal());
        if (requiredScope != null && !principal.hasScope(requiredScope)) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\", error=\"insufficient_scope\", scope=\""
                    + requiredScope + "\"");
            problem(response, 403, "insufficient_scope", "Forbidden", "this endpoint needs the scope '" + requiredScope + "'");
            return;
        }
        request.setAttribute(PRINCIPAL, principal);
        chain.doFilter(request, response);
    }

    private @Nullable String secret(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && !header.substring(7).isBlank()) {
            return header.substring(7).strip();
        }
        if (apiKeyHeader != null) {
            String key = request.getHeader(apiKeyHeader);
            if (key != null && !key.isBlank()) {
                return key.strip();
            }
        }
        return null;
    }

    private void refuse(HttpServletResponse response, Denial d) throws IOException {
        String code = d.reason().name().toLowerCase(Locale.ROOT);
        switch (d.reason()) {
            case TOKEN_INVALID, TOKEN_NOT_FOUND, TOKEN_EXPIRED, TOKEN_REVOKED -> {
                response.setHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\", error=\"invalid_token\"");
                problem(response, 401, code, "Unauthorized", d.message());
            }
            case RATE_LIMITED -> {
                if (d.retryAfter() != null) {
                    response.setHeader("Retry-After", Long.toString(seconds(d)));
                }
                problem(response, 429, code, "Too Many Requests", d.message());
            }
            case STORAGE_UNAVAILABLE -> {
                response.setHeader("Retry-After", Long.toString(seconds(d)));
                problem(response, 503, code, "Service Unavailable", d.message());
            }
            default -> problem(response, 403, code, "Forbidden", d.message());
        }
    }

    /** Whole seconds to wait, rounded up and at least 1 (HTTP's {@code Retry-After} has no fractions). */
    private static long seconds(Denial d) {
        long millis = d.retryAfter() == null ? 1_000 : d.retryAfter().toMillis();
        return Math.max(1, (millis + 999) / 1_000);
    }

    private static void problem(HttpServletResponse response, int status, String code, String title, String detail)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "urn:tokenkeeper:problem:" + code.replace('_', '-'));
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        body.put("code", code);
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        JSON.writeValue(response.getOutputStream(), body);
    }

    /** Builder for {@link TokenKeeperFilter}. */
    public static final class Builder {
        private final TokenKeeper keeper;
        private String realm = "tokenkeeper";
        private @Nullable String apiKeyHeader;
        private @Nullable String requiredScope;

        private Builder(TokenKeeper keeper) {
            this.keeper = requireNonNull(keeper, "keeper");
        }

        /** The realm named in {@code WWW-Authenticate}. Default {@code tokenkeeper}. */
        public Builder realm(String realm) {
            this.realm = requireNonNull(realm, "realm");
            return this;
        }

        /** Also accept the token in this header, such as {@code x-api-key}. */
        public Builder apiKeyHeader(@Nullable String header) {
            this.apiKeyHeader = header;
            return this;
        }

        /** Refuse (403) tokens without this scope. */
        public Builder requiredScope(@Nullable String scope) {
            this.requiredScope = scope;
            return this;
        }

        public TokenKeeperFilter build() {
            return new TokenKeeperFilter(this);
        }
    }
}
