package dev.tokenkeeper.app.api;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.app.api.TokenDtos.CreateTokenRequest;
import dev.tokenkeeper.app.api.TokenDtos.IssuedTokenView;
import dev.tokenkeeper.app.api.TokenDtos.PageView;
import dev.tokenkeeper.app.api.TokenDtos.RotateRequest;
import dev.tokenkeeper.app.api.TokenDtos.TokenView;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenQuery;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.tokens.TokenStatus;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The token endpoints, within the caller's tenant. Admins issue and manage tokens for any user of
 * the tenant; users issue tokens for themselves (of role user or agent) and see and manage only
 * those.
 */
@RestController
@RequestMapping("/api/v1/tokens")
public class TokenController {
    private final TokenKeeper keeper;
    private final Access access;
    private final Accounts accounts;

    public TokenController(TokenKeeper keeper, Access access, Accounts accounts) {
        this.keeper = keeper;
        this.access = access;
        this.accounts = accounts;
    }

    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.CREATED)
    @PostMapping
    ResponseEntity<IssuedTokenView> create(@RequestBody CreateTokenRequest body, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        Role role = role(body.role());
        String userId = body.userId();
        if (!caller.admin()) {
            if (userId != null && !userId.equals(caller.userId())) {
                throw ApiException.forbidden("other_user", "users issue tokens for themselves only");
            }
            if (role == Role.ADMIN) {
                throw ApiException.forbidden("role_too_high", "users issue tokens of role user or agent only");
            }
            userId = caller.userId();
        } else if (userId != null
                && accounts.findUser(caller.tenantId(), userId).isEmpty()) {
            throw badRequest("user_id", "is not a user of this tenant");
        }
        if (body.expiresAt() != null && body.expiresInSeconds() != null) {
            throw badRequest("expires_at", "give expires_at or expires_in_seconds, not both");
        }
        Instant expiresAt = body.expiresAt();
        if (body.expiresInSeconds() != null) {
            if (body.expiresInSeconds() <= 0) {
                throw badRequest("expires_in_seconds", "must be positive");
            }
            try {
                expiresAt = keeper.clock().instant().plusSeconds(body.expiresInSeconds());
            } catch (java.time.DateTimeException | ArithmeticException e) {
                throw badRequest("expires_in_seconds", "is too large");
            }
        }
        TokenSpec.Builder spec = TokenSpec.builder()
                .tenant(caller.tenantId())
                .name(body.name())
                .user(userId)
                .project(body.projectId())
                .role(role)
                .expiresAt(expiresAt)
                .actor(caller.actor());
        if (body.scopes() != null) {
            spec.scopes(body.scopes());
        }
        if (body.allowedProviders() != null) {
            spec.allowedProviders(body.allowedProviders());
        }
        if (body.allowedModels() != null) {
            spec.allowedModels(body.allowedModels());
        }
        if (body.metadata() != null) {
            spec.metadata(body.metadata());
        }
        IssuedTokenView issued = IssuedTokenView.of(keeper.tokens().issue(spec.build()));
        return ResponseEntity.created(
                        URI.create("/api/v1/tokens/" + issued.tokenInfo().id()))
                .header("Cache-Control", "no-store")
                .body(issued);
    }

    @GetMapping
    PageView<TokenView> list(
            @RequestParam(name = "user_id", required = false) @Nullable String userId,
            @RequestParam(name = "project_id", required = false) @Nullable String projectId,
            @RequestParam(name = "status", required = false) @Nullable String status,
            @RequestParam(name = "limit", defaultValue = "50") int limit,
            @RequestParam(name = "cursor", required = false) @Nullable String cursor,
            HttpServletRequest request) {
        Caller caller = Caller.of(request);
        return PageView.tokens(keeper.tokens()
                .list(TokenQuery.builder(caller.tenantId())
                        .user(access.ownUser(caller, userId))
                        .project(projectId)
                        .status(status(status))
                        .limit(limit)
                        .cursor(cursor)
                        .build()));
    }

    @GetMapping("/{id}")
    TokenView get(@PathVariable String id, HttpServletRequest request) {
        return TokenView.of(access.token(Caller.of(request), id, request));
    }

    @PutMapping("/{id}/rotate")
    ResponseEntity<IssuedTokenView> rotate(
            @PathVariable String id,
            @RequestBody(required = false) @Nullable RotateRequest body,
            HttpServletRequest request) {
        long grace = body == null || body.gracePeriodSeconds() == null ? 0 : body.gracePeriodSeconds();
        if (grace < 0) {
            throw badRequest("grace_period_seconds", "must not be negative");
        }
        Caller caller = Caller.of(request);
        access.token(caller, id, request);
        IssuedTokenView rotated = IssuedTokenView.of(
                keeper.tokens().rotate(caller.tenantId(), id, Duration.ofSeconds(grace), caller.actor()));
        return ResponseEntity.ok().header("Cache-Control", "no-store").body(rotated);
    }

    @PatchMapping("/{id}")
    TokenView update(@PathVariable String id, @RequestBody Map<String, Object> body, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        access.token(caller, id, request);
        if (body.size() != 1 || !body.containsKey("expires_at")) {
            throw badRequest("body", "only 'expires_at' can be changed (an ISO-8601 instant, or null for never)");
        }
        Object value = body.get("expires_at");
        Instant expiresAt;
        try {
            expiresAt = value == null ? null : Instant.parse(value.toString());
        } catch (DateTimeParseException e) {
            throw badRequest("expires_at", "must be an ISO-8601 instant such as 2027-01-31T00:00:00Z, or null");
        }
        return TokenView.of(keeper.tokens().updateExpiry(caller.tenantId(), id, expiresAt, caller.actor()));
    }

    @DeleteMapping("/{id}")
    TokenView revoke(
            @PathVariable String id,
            @RequestParam(name = "reason", required = false) @Nullable String reason,
            HttpServletRequest request) {
        Caller caller = Caller.of(request);
        access.token(caller, id, request);
        return TokenView.of(keeper.tokens().revoke(caller.tenantId(), id, reason, caller.actor()));
    }

    private static Role role(@Nullable String role) {
        if (role == null) {
            return Role.USER;
        }
        try {
            return Role.valueOf(role.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw badRequest("role", "must be one of admin, user, agent");
        }
    }

    private static @Nullable TokenStatus status(@Nullable String status) {
        if (status == null) {
            return null;
        }
        try {
            return TokenStatus.valueOf(status.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw badRequest("status", "must be one of active, expired, revoked");
        }
    }

    static ApiException badRequest(String field, String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, "validation_failed", field + ": " + detail);
    }
}
