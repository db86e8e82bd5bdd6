package dev.tokenkeeper.app.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.app.config.AppProperties;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.servlet.Credentials;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.VerificationResult;
import io.github.bucket4j.Bucket;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Authenticates every control-API request. A bearer credential with the shape of a JWT is an access
 * token of a session (a person); any other is a TokenKeeper API token (automation). Agents, and
 * user-role API tokens that name no user, are refused (403); an API token whose user is disabled
 * or deleted is refused like a revoked one (401). Each caller then has a rate limit of its own.
 * What the caller may do is each endpoint's business, through {@link Access}.
 */
@Component
public class ApiAuth implements HandlerInterceptor {
    private final TokenKeeper keeper;
    private final Accounts accounts;
    private final AppProperties.ApiRateLimit rate;
    /** One bucket per caller that called lately; bounded, so a flood of callers cannot grow it. */
    private final Cache<String, Bucket> buckets;

    public ApiAuth(TokenKeeper keeper, Accounts accounts, AppProperties props) {
        this.keeper = keeper;
        this.accounts = accounts;
        this.rate = props.apiRateLimit();
        this.buckets = Caffeine.newBuilder()
                .executor(Runnable::run) // bookkeeping on the request's thread: no pool wake-up per few dozen reads
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
            throw unauthorized(
                    "missing_token",
                    "an 'Authorization: Bearer <token>' header is required: an access token from"
                            + " POST /api/v1/auth/login, or an API token",
                    null);
        }
        Caller caller = authenticate(present.secret(), request);
        rateLimit(caller);
        request.setAttribute(Caller.ATTRIBUTE, caller);
        if (caller.role() == Role.AGENT && !request.getRequestURI().equals("/api/v1/auth/logout")) {
            throw ApiException.forbidden("agent", "agents may call LLM providers through the gateway, not this API");
        }
        if (caller.role() == Role.USER && caller.userId() == null) {
            throw ApiException.forbidden(
                    "token_without_user", "a user-role API token must name its user to use this API");
        }
        return true;
    }

    /** The caller of a request that carries a valid credential, without refusing anything else. */
    public Optional<Caller> peek(HttpServletRequest request) {
        if (Credentials.read(request, null) instanceof Credentials.Result.Present p) {
            try {
                return Optional.of(authenticate(p.secret(), request));
            } catch (ApiException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private Caller authenticate(String secret, HttpServletRequest request) {
        String source = request.getRemoteAddr();
        if (looksLikeJwt(secret)) {
            Accounts.Session s = accounts.session(secret)
                    .orElseThrow(() -> unauthorized(
                            "invalid_token",
                            "the access token is invalid, expired, or its session has ended; log in again or"
                                    + " refresh it",
                            "invalid_token"));
            return new Caller(
                    Caller.Kind.SESSION,
                    s.user().tenantId(),
                    s.user().role(),
                    s.user().id(),
                    null,
                    s.sessionId(),
                    Actor.of(Caller.actorId(s.user().id(), null), source));
        }
        VerificationResult result = keeper.tokens().verify(secret, source);
        if (result instanceof VerificationResult.Rejected rejected) {
            String reason = rejected.reason().name().toLowerCase(Locale.ROOT);
            throw unauthorized("token_" + reason, "the bearer token was refused: " + reason, "invalid_token");
        }
        Principal p = ((VerificationResult.Verified) result).principal();
        if (p.userId() != null && !accounts.userActive(p.tenantId(), p.userId())) {
            throw unauthorized(
                    "token_user_disabled", "the bearer token's user is disabled or deleted", "invalid_token");
        }
        return new Caller(
                Caller.Kind.API_TOKEN,
                p.tenantId(),
                p.role(),
                p.userId(),
                p.tokenId(),
                null,
                Actor.of(Caller.actorId(p.userId(), p.tokenId()), source));
    }

    /** Three base64url segments: a JWS in compact form. API tokens hold no dots. */
    static boolean looksLikeJwt(String secret) {
        int first = secret.indexOf('.');
        return first > 0 && secret.indexOf('.', first + 1) > first + 1;
    }

    private void rateLimit(Caller caller) {
        String key = caller.tokenId() != null ? "t:" + caller.tokenId() : "u:" + caller.userId();
        var probe = buckets.get(
                        key,
                        k -> Bucket.builder()
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
                    "this caller may make " + rate.requests() + " requests per "
                            + rate.period().toSeconds() + " s; retry after " + seconds + " s",
                    h);
        }
    }

    private static ApiException badCredentials(String code, String detail) {
        HttpHeaders h = new HttpHeaders();
        // RFC 6750, section 3.1: a malformed or ambiguous credential is an invalid_request (400)
        h.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"tokenkeeper\", error=\"invalid_request\"");
        return new ApiException(HttpStatus.BAD_REQUEST, code, detail, h);
    }

    static ApiException unauthorized(String code, String detail, @Nullable String error) {
        HttpHeaders h = new HttpHeaders();
        // RFC 6750, section 3: a refused token says error="invalid_token"; a missing one names only the realm.
        h.set(
                HttpHeaders.WWW_AUTHENTICATE,
                error == null
                        ? "Bearer realm=\"tokenkeeper\""
                        : "Bearer realm=\"tokenkeeper\", error=\"" + error + "\"");
        return new ApiException(HttpStatus.UNAUTHORIZED, code, detail, h);
    }
}
