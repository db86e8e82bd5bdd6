package dev.tokenkeeper.app.api;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEntry;
import dev.tokenkeeper.audit.AuditOutcome;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Records the requests a verified caller was refused ({@code access.denied}): every 403, and every
 * 404 for a token or limit that exists in another tenant. The caller learns nothing from it (the
 * answer is the same as for a missing object); the caller's tenant's audit log shows who tried what,
 * from where and with which user agent. Events are aggregated per window by core's
 * {@code recordAggregated}, so a scanner costs a bounded number of rows.
 */
@Component
public class AccessAudit {
    private static final Logger LOG = LoggerFactory.getLogger(AccessAudit.class);
    static final int MAX_USER_AGENT = 256;

    private final TokenKeeper keeper;

    public AccessAudit(TokenKeeper keeper) {
        this.keeper = keeper;
    }

    /** A 403 answered to a verified caller. */
    void forbidden(HttpServletRequest request, String reason) {
        Caller caller = Caller.orNull(request);
        if (caller != null) {
            record(request, caller, "endpoint", endpoint(request), "403", reason);
        }
    }

    /** A 404 answered to a user for another user's object of the same tenant. */
    void otherUser(HttpServletRequest request, String type, String id) {
        Caller caller = Caller.orNull(request);
        if (caller != null) {
            record(request, caller, type, AccessAudit.printable(id, 128), "404", "other_user");
        }
    }

    /** A 404 answered to a verified caller: recorded when the addressed token or limit lives in another tenant. */
    void notFound(HttpServletRequest request, NotFoundException e) {
        Caller caller = Caller.orNull(request);
        String id = pathId(request);
        if (caller == null || id == null) {
            return;
        }
        String type;
        Optional<String> owner;
        try {
            if (e.code() == ErrorCode.TOKEN_NOT_FOUND) {
                type = "token";
                owner = keeper.tokens().tenantOf(id);
            } else if (e.code() == ErrorCode.LIMIT_NOT_FOUND) {
                type = "limit";
                owner = keeper.limits().tenantOf(id);
            } else {
                return;
            }
        } catch (RuntimeException lookupFailed) {
            // the 404 stands either way; an id that is not even well formed belongs to nobody
            LOG.debug("owner lookup failed: {}", lookupFailed.getMessage());
            return;
        }
        if (owner.isPresent() && !owner.get().equals(caller.tenantId())) {
            record(request, caller, type, id, "404", "other_tenant");
        }
    }

    private void record(
            HttpServletRequest request,
            Caller caller,
            String targetType,
            String targetId,
            String status,
            String reason) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("reason", reason);
        meta.put("status", status);
        meta.put("method", request.getMethod());
        meta.put("endpoint", endpoint(request));
        String agent = request.getHeader("User-Agent");
        meta.put("user_agent", agent == null ? "" : printable(agent, MAX_USER_AGENT));
        try {
            keeper.audit()
                    .recordAggregated(new AuditEntry(
                            caller.tenantId(),
                            caller.actor(),
                            AuditAction.ACCESS_DENIED,
                            targetType,
                            targetId,
                            AuditOutcome.FAILURE,
                            meta));
        } catch (RuntimeException e) {
            // auditing must never turn a 403 into a 500
            LOG.warn("could not record a refused request: {}", e.getMessage());
        }
    }

    /** The matched route, such as {@code PUT /api/v1/prices}: ours, so bounded; never the raw path. */
    private static String endpoint(HttpServletRequest request) {
        Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        return request.getMethod() + " " + (pattern == null ? "(unmatched)" : pattern);
    }

    private static @Nullable String pathId(HttpServletRequest request) {
        Object vars = request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
        if (vars instanceof Map<?, ?> m
                && m.get("id") instanceof String id
                && !id.isEmpty()
                && id.length() <= 128
                && id.chars().noneMatch(Character::isISOControl)
                && id.strip().equals(id)) {
            return id;
        }
        return null;
    }

    /** Control characters and lone surrogates replaced, cut to {@code max} characters. */
    static String printable(String s, int max) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            boolean lone = Character.isHighSurrogate(c)
                    ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
            b.append(Character.isISOControl(c) || lone ? '?' : c);
        }
        return b.toString();
    }
}
