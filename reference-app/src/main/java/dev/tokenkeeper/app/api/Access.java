package dev.tokenkeeper.app.api;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.config.AppProperties;
import dev.tokenkeeper.tokens.TokenInfo;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Who may do what on the control API: the role matrix of docs/rest-api.md in one place. Admins act
 * on their whole tenant; users on what is theirs (their tokens, usage, traces, limits and audit
 * events); agents on nothing here (refused by {@link ApiAuth}). Another tenant's object, or
 * another user's, is answered 404, as if it did not exist.
 */
@Component
public class Access {
    private final TokenKeeper keeper;
    private final AppProperties props;
    private final AccessAudit audit;

    public Access(TokenKeeper keeper, AppProperties props, AccessAudit audit) {
        this.keeper = keeper;
        this.props = props;
        this.audit = audit;
    }

    /** Refuses anyone but an admin of the tenant. */
    public void admin(Caller caller) {
        if (!caller.admin()) {
            throw ApiException.forbidden("role_required", "this endpoint is for admins");
        }
    }

    /** Refuses anyone but an admin of the operator's tenant (the app's default tenant). */
    public void operator(Caller caller) {
        if (!caller.admin() || !caller.tenantId().equals(props.defaultTenant())) {
            throw ApiException.forbidden("operator_only", "this endpoint is for admins of the operator's tenant");
        }
    }

    public boolean isOperator(Caller caller) {
        return caller.admin() && caller.tenantId().equals(props.defaultTenant());
    }

    /**
     * The user a query is confined to: {@code null} (no confinement) for an admin, the caller's own
     * id for a user. A user who asks for another user's data is refused.
     */
    public @Nullable String ownUser(Caller caller, @Nullable String requestedUser) {
        if (caller.admin()) {
            return requestedUser;
        }
        if (requestedUser != null && !requestedUser.equals(caller.userId())) {
            throw ApiException.forbidden("other_user", "users see their own data only");
        }
        return caller.userId();
    }

    /** The token, when the caller may see it: any of the tenant's for an admin, their own for a user. */
    public TokenInfo token(Caller caller, String id, jakarta.servlet.http.HttpServletRequest request) {
        TokenInfo t = keeper.tokens().get(caller.tenantId(), id);
        if (!caller.admin() && !Objects.equals(t.userId(), caller.userId())) {
            audit.otherUser(request, "token", id);
            // the words of the keeper's own 404, so that the two cannot be told apart
            throw new NotFoundException(ErrorCode.TOKEN_NOT_FOUND, "token " + id + " does not exist");
        }
        return t;
    }
}
