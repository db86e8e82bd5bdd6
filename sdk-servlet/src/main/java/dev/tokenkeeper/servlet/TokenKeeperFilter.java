package dev.tokenkeeper.servlet;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * Every refusal has an RFC 9457 {@code application/problem+json} body with a stable {@code code}, or
 * OpenAI's or Anthropic's error envelope ({@link ErrorFormat}). An admitted request goes on with the
 * caller's {@link Principal} as the request attribute {@link #PRINCIPAL}; the application can then
 * admit an LLM call of that caller with {@link #authorize}. The credential is read from
 * {@code Authorization: Bearer}, {@code X-API-Key} (Anthropic's clients), {@code api-key} (Azure
 * OpenAI's clients), and from a query parameter only when one is configured (for browsers'
 * EventSource, which cannot set headers). Secrets never appear in a response or a log line.
 */
public final class TokenKeeperFilter implements Filter {
    /** The request attribute holding the caller's {@link Principal}. */
    public static final String PRINCIPAL = "dev.tokenkeeper.principal";

    private static final String KEEPER = "dev.tokenkeeper.keeper";
    private static final String QUERY_PARAMETER = "dev.tokenkeeper.queryParameter";
    private static final String FILTER = "dev.tokenkeeper.filter";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenKeeper keeper;
    private final String realm;
    private final @Nullable String queryParameter;
    private final @Nullable String requiredScope;
    private final ErrorFormat errorFormat;
    private final PathPattern[] include;
    private final PathPattern[] exclude;

    private TokenKeeperFilter(Builder b) {
        this.keeper = b.keeper;
        this.realm = b.realm;
        this.queryParameter = b.queryParameter;
        this.requiredScope = b.requiredScope;
        this.errorFormat = b.errorFormat;
        this.include = b.include.stream().map(PathPattern::of).toArray(PathPattern[]::new);
        this.exclude = b.exclude.stream().map(PathPattern::of).toArray(PathPattern[]::new);
    }

    /**
     * Admits an LLM call of the caller of a request this filter admitted: {@code keeper.authorize}
     * with the request's credential.
     *
     * @throws IllegalStateException if the filter did not admit this request
     */
    public static Admission authorize(HttpServletRequest request, CallRequest call) {
        TokenKeeper keeper = (TokenKeeper) request.getAttribute(KEEPER);
        String secret = keeper == null
                ? null
                : Credentials.read(request, (String) request.getAttribute(QUERY_PARAMETER))
                                instanceof Credentials.Result.Present p
                        ? p.secret()
                        : null;
        if (secret == null) {
            throw new IllegalStateException("this request was not admitted by a TokenKeeperFilter");
        }
        return keeper.authorize(secret, call.source() != null ? call : call.withSource(request.getRemoteAddr()));
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
        if (!applies(request)) {
            chain.doFilter(request, response);
            return;
        }
        Credentials.Result credential = Credentials.read(request, queryParameter);
        if (!(credential instanceof Credentials.Result.Present present)) {
            if (credential instanceof Credentials.Result.Malformed m) {
                // RFC 6750, section 3.1: a malformed request is invalid_request, answered with 400
                response.setHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\", error=\"invalid_request\"");
                problem(response, 400, "invalid_credentials", "Bad Request", m.problem());
            } else if (credential instanceof Credentials.Result.Ambiguous a) {
                response.setHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\", error=\"invalid_request\"");
                problem(response, 400, "ambiguous_credentials", "Bad Request", a.problem());
            } else {
                response.setHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\"");
                problem(
                        response,
                        401,
                        "missing_token",
                        "Unauthorized",
                        "an 'Authorization: Bearer <token>' header is required");
            }
            return;
        }
        String secret = present.secret();
        RequestAdmission admission = keeper.checkRequest(secret, request.getRemoteAddr());
        Denial d = admission.denial();
        if (d != null) {
            refuse(response, d);
            return;
        }
        Principal principal = requireNonNull(admission.principal());
        if (requiredScope != null && !principal.hasScope(requiredScope)) {
            response.setHeader(
                    "WWW-Authenticate",
                    "Bearer realm=\"" + realm + "\", error=\"insufficient_scope\", scope=\"" + requiredScope + "\"");
            problem(
                    response,
                    403,
                    "insufficient_scope",
                    "Forbidden",
                    "this endpoint needs the scope '" + requiredScope + "'");
            return;
        }
        request.setAttribute(PRINCIPAL, principal);
        request.setAttribute(KEEPER, keeper);
        request.setAttribute(QUERY_PARAMETER, queryParameter);
        request.setAttribute(FILTER, this);
        chain.doFilter(request, response);
    }

    /**
     * Answers a refused LLM call (from {@link #authorize}) the way the filter answers its own
     * refusals: 403 for a budget, a model or a price, 429 with {@code Retry-After} for a rate limit,
     * in the filter's error format.
     *
     * @throws IllegalStateException if the filter did not admit this request
     */
    public static void respond(HttpServletRequest request, HttpServletResponse response, Denial denial)
            throws IOException {
        TokenKeeperFilter filter = (TokenKeeperFilter) request.getAttribute(FILTER);
        if (filter == null) {
            throw new IllegalStateException("this request was not admitted by a TokenKeeperFilter");
        }
        filter.refuse(response, denial);
    }

    private boolean applies(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String context = request.getContextPath();
        String path = context.isEmpty() ? uri : uri.substring(context.length());
        return (include.length == 0 || anyMatches(include, path)) && !anyMatches(exclude, path);
    }

    /** A loop, not a stream: this runs on every request. */
    private static boolean anyMatches(PathPattern[] patterns, String path) {
        for (PathPattern p : patterns) {
            if (p.matches(path)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A path pattern, read once: {@code /v1/**} matches {@code /v1} and everything below it; other
     * patterns match exactly.
     *
     * @param path the path, or for {@code below} the base before {@code /**}
     * @param below whether the pattern ends in {@code /**}
     */
    record PathPattern(String path, boolean below) {
        static PathPattern of(String pattern) {
            return pattern.endsWith("/**")
                    ? new PathPattern(pattern.substring(0, pattern.length() - 3), true)
                    : new PathPattern(pattern, false);
        }

        boolean matches(String requestPath) {
            if (!below) {
                return path.equals(requestPath);
            }
            return requestPath.startsWith(path)
                    && (requestPath.length() == path.length() || requestPath.charAt(path.length()) == '/');
        }
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
                if (d.limit() != null) {
                    // draft-ietf-httpapi-ratelimit-headers: the policy (quota q per window w seconds)
                    // and its state (r remaining, t seconds until it allows again)
                    response.setHeader("RateLimit-Policy", RateLimitFields.policy(d.limit()));
                    response.setHeader("RateLimit", RateLimitFields.state(d.limit(), 0, seconds(d)));
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
        return RateLimitFields.seconds(d.retryAfter());
    }

    private void problem(HttpServletResponse response, int status, String code, String title, String detail)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        String contentType = "application/json";
        switch (errorFormat) {
            case PROBLEM -> {
                body.put("type", "urn:tokenkeeper:problem:" + code.replace('_', '-'));
                body.put("title", title);
                body.put("status", status);
                body.put("detail", detail);
                body.put("code", code);
                contentType = "application/problem+json";
            }
            case OPENAI -> {
                Map<String, Object> error = new LinkedHashMap<>();
                error.put("message", detail);
                error.put("type", errorType(status));
                error.put("param", null);
                error.put("code", code);
                body.put("error", error);
            }
            case ANTHROPIC -> {
                body.put("type", "error");
                Map<String, Object> error = new LinkedHashMap<>();
                error.put("type", errorType(status));
                error.put("message", detail);
                body.put("error", error);
            }
        }
        response.setStatus(status);
        response.setContentType(contentType);
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        JSON.writeValue(response.getOutputStream(), body);
    }

    /** The error type of both providers' envelopes for a status (Anthropic's names, which OpenAI's SDKs ignore). */
    private static String errorType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            default -> "api_error";
        };
    }

    /** Builder for {@link TokenKeeperFilter}. */
    public static final class Builder {
        private final TokenKeeper keeper;
        private String realm = "tokenkeeper";
        private @Nullable String queryParameter;
        private @Nullable String requiredScope;
        private ErrorFormat errorFormat = ErrorFormat.PROBLEM;
        private final List<String> include = new ArrayList<>();
        private final List<String> exclude = new ArrayList<>();

        private Builder(TokenKeeper keeper) {
            this.keeper = requireNonNull(keeper, "keeper");
        }

        /** The realm named in {@code WWW-Authenticate}. Default {@code tokenkeeper}. */
        public Builder realm(String realm) {
            this.realm = requireNonNull(realm, "realm");
            return this;
        }

        /**
         * Also accept the token in this query parameter (for EventSource streams). Off by default: a
         * URL ends up in access logs and browser history.
         */
        public Builder queryParameter(@Nullable String name) {
            this.queryParameter = name;
            return this;
        }

        /** The body of refusals. Default {@link ErrorFormat#PROBLEM}. */
        public Builder errorFormat(ErrorFormat format) {
            this.errorFormat = requireNonNull(format, "errorFormat");
            return this;
        }

        /** Only these paths are checked ({@code /v1/**} or exact paths); default: every path. */
        public Builder includePaths(String... patterns) {
            this.include.addAll(List.of(patterns));
            return this;
        }

        /** These paths pass unchecked, such as {@code /health}. */
        public Builder excludePaths(String... patterns) {
            this.exclude.addAll(List.of(patterns));
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
