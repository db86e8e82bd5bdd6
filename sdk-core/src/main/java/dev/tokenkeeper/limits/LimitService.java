package dev.tokenkeeper.limits;

import dev.tokenkeeper.Page;
import dev.tokenkeeper.audit.Actor;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Usage limits and budgets: {@code keeper.limits()}. Every change is audited ({@code limit.created},
 * {@code limit.updated}, {@code limit.deleted}) in the limit's tenant. Thread-safe.
 */
public interface LimitService {
    /** Creates a limit; the tenant must exist. */
    Limit create(LimitSpec spec);

    /** Applies {@code change}; throws {@code LIMIT_NOT_FOUND} when the tenant has no such limit. */
    Limit update(String tenantId, String limitId, LimitChange change, Actor actor);

    /** Deletes a limit; returns whether there was one. Its counted usage goes with it. */
    boolean delete(String tenantId, String limitId, Actor actor);

    Optional<Limit> find(String tenantId, String limitId);

    /**
     * The tenant a limit id belongs to, if the limit exists. Limit ids are unique across tenants;
     * an application uses this to tell a request for another tenant's limit (a refused access, worth
     * an audit event) from one for a limit that does not exist. Never tell the caller which it was.
     */
    Optional<String> tenantOf(String limitId);

    /**
     * The limit's current window: its committed usage, read from the database, and what calls in
     * flight on this instance reserve. Throws {@code LIMIT_NOT_FOUND} for an unknown limit.
     */
    LimitUsage usage(String tenantId, String limitId);

    /**
     * The tenant's limits, oldest first, optionally only those of one scope (and scope id), in pages
     * of {@code limit} (1 to 1,000) with the cursor of the previous page.
     */
    Page<Limit> list(
            String tenantId, @Nullable LimitScope scope, @Nullable String scopeId, int limit, @Nullable String cursor);

    /**
     * The limits that apply to a call: the tenant's own, and those of the call's user, project, token
     * and run, whose provider and model filters match.
     */
    List<Limit> applicable(
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String tokenId,
            @Nullable String runId,
            String provider,
            String model);

    /** {@link #applicable(String, String, String, String, String, String, String)} for a call outside any run. */
    default List<Limit> applicable(
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String tokenId,
            String provider,
            String model) {
        return applicable(tenantId, userId, projectId, tokenId, null, provider, model);
    }
}
