package dev.tokenkeeper.app.api;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.config.AppProperties;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEvent;
import dev.tokenkeeper.audit.AuditQuery;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The tenant's audit log for its admins, a user's own events for a user; newest first, keyset pages. */
@RestController
public class AuditController {
    private final TokenKeeper keeper;
    private final AppProperties props;

    public AuditController(TokenKeeper keeper, AppProperties props) {
        this.keeper = keeper;
        this.props = props;
    }

    record AuditEventView(
            String id,
            Instant at,
            String actor,
            @Nullable String source,
            String action,
            String targetType,
            @Nullable String targetId,
            String outcome,
            Map<String, String> metadata) {
        static AuditEventView of(AuditEvent e) {
            return new AuditEventView(
                    e.id(),
                    e.at(),
                    e.actor(),
                    e.source(),
                    e.action().id(),
                    e.targetType(),
                    e.targetId(),
                    e.outcome().name().toLowerCase(java.util.Locale.ROOT),
                    e.metadata());
        }
    }

    record AuditPage(List<AuditEventView> items, @Nullable String nextCursor) {}

    @GetMapping("/api/v1/audit")
    AuditPage list(
            @RequestParam(name = "from", required = false) @Nullable String from,
            @RequestParam(name = "to", required = false) @Nullable String to,
            @RequestParam(name = "action", required = false) @Nullable List<String> actions,
            @RequestParam(name = "limit", defaultValue = "50") int limit,
            @RequestParam(name = "cursor", required = false) @Nullable String cursor,
            @RequestParam(name = "scope", required = false) @Nullable String scope,
            HttpServletRequest request) {
        Caller caller = Caller.of(request);
        String tenant = caller.tenantId();
        if ("system".equals(scope)) {
            // deployment-wide changes (prices), recorded under the _system tenant: the operator's admins only
            if (!caller.admin() || !tenant.equals(props.defaultTenant())) {
                throw ApiException.forbidden(
                        "operator_only", "the system audit log is for admins of the operator's tenant");
            }
            tenant = "_system";
        } else if (scope != null && !scope.equals("tenant")) {
            throw TokenController.badRequest("scope", "must be 'tenant' (default) or 'system'");
        }
        AuditQuery.Builder q = AuditQuery.builder(tenant)
                .from(Params.instant("from", from))
                .to(Params.instant("to", to))
                .limit(limit)
                .cursor(cursor);
        if (!caller.admin()) {
            // a user's own events: theirs, and their tokens' (actor user:<id>/token:<id>)
            q.actor("user:" + caller.userId());
        }
        if (actions != null) {
            for (String a : actions) {
                q.action(AuditAction.fromId(a)
                        .orElseThrow(() -> TokenController.badRequest(
                                "action", "must be an action name such as 'token.revoked' or 'access.denied'")));
            }
        }
        var page = keeper.audit().query(q.build());
        return new AuditPage(page.items().stream().map(AuditEventView::of).toList(), page.nextCursor());
    }
}
