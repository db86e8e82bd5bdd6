package dev.tokenkeeper.app.api;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.config.AppProperties;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.servlet.Credentials;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.VerificationResult;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Guards the control API: a bearer token of role ADMIN is required, and the request acts within
 * that token's tenant. (Full RBAC for users and agents comes with the control-API issue.)
 */
@Component
public class AdminGuard implements HandlerInterceptor {
    static final String PRINCIPAL = AdminGuard.class.getName() + ".principal";

    private final TokenKeeper keeper;
    private final AppProperties.ApiRateLimit rate;
    /** One bucket per caller that called lately; bounded, so a flood of callers cannot grow it. */
    private final com.github.benmanes.caffeine.cache.Cache<String, io.github.bucket4j.Bucket> buckets;

    public AdminGuard(TokenKeeper keeper, AppProperties props) {
        this.keeper = keeper;
        this.rate = props.apiRateLimit();
        this.buckets = com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfterAccess(rate.period().multipliedBy(2))
                .build();
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        Credentials.Result credential = Credentials.read(request, null);
        if (credential instanceof Credentials.Result.Malformed m) {
            throw badCredentials("invalid_credentials", m.problem());
        }
        if (credential instanceof Credentials.Result.Ambiguous a) {
            throw badCredentials("ambiguous_credentials", a.problem());
        }
        if (!(credential instanceof Credentials.Result.Present present)) {
            throw unauthorized("missing_token", "an 'Authorization: Bearer <token>' header is required", null);
        }
        VerificationResult result = keeper.tokens().verify(present.secret(), request.getRemoteAddr());
        if (result instanceof VerificationResult.Rejected rejected) {
            String reason = rejected.reason().name().toLowerCase(java.util.Locale.ROOT);
            throw unauthorized("token_" + reason, "the bearer token was refused: " + reason, "invalid_token");
        }
        Principal principal = ((VerificationResult.Verified) result).principal();
        var probe = buckets.get(
                        principal.tokenId(),
                        id -> io.github.bucket4j.Bucket.builder()
                                .addLimit(l ->
                                        l.capacity(rate.requests()).refillIntervally(rate.requests(), rate.period()))
                                .build())
                .tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            HttpHeaders h = new HttpHeaders();
            long seconds = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
            h.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
            throw new ApiException(
                    HttpStatus.TOO_MANY_REQUESTS,
                    "rate_limited",
                    "this caller may make "
                            + rate.requests() + " requests per " + rate.period().toSeconds() + " s; retry after "
                            + seconds
                            + " s",
                    h);
        }
        request.setAttribute(PRINCIPAL, principal);
        if (principal.role() != Role.ADMIN) {
            throw ApiException.forbidden("role_required", "this endpoint needs a token with role ADMIN");
        }
        return true;
    }

    private static ApiException badCredentials(String code, String detail) {
        HttpHeaders h = new HttpHeaders();
        // RFC 6750, section 3.1: a malformed or ambiguous credential is an invalid_request (400)
        h.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"tokenkeeper\", error=\"invalid_request\"");
        return new ApiException(HttpStatus.BAD_REQUEST, code, detail, h);
    }

    private static ApiException unauthorized(
            String code, String detail, @org.jspecify.annotations.Nullable String error) {
        HttpHeaders h = new HttpHeaders();
        // RFC 6750, section 3: a refused token says error="invalid_token"; a missing one names only the realm.
        h.set(
                HttpHeaders.WWW_AUTHENTICATE,
                error == null
                        ? "Bearer realm=\"tokenkeeper\""
                        : "Bearer realm=\"tokenkeeper\", error=\"" + error + "\"");
        return new ApiException(HttpStatus.UNAUTHORIZED, code, detail, h);
    }

    static Principal principal(HttpServletRequest request) {
        return (Principal) request.getAttribute(PRINCIPAL);
    }

    /** The verified caller, or {@code null} before verification succeeded. */
    static @org.jspecify.annotations.Nullable Principal principalOrNull(HttpServletRequest request) {
        return request.getAttribute(PRINCIPAL) instanceof Principal p ? p : null;
    }

    static Actor actor(HttpServletRequest request) {
        return Actor.of("token:" + principal(request).tokenId(), request.getRemoteAddr());
    }
}
