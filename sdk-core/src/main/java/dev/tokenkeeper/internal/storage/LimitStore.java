package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitScope;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Limit definitions ({@code tk_limits}) and their change feed ({@code tk_limit_changes}). Limits are
 * read and changed within one tenant; the change feed runs across tenants, for the keeper's own
 * maintenance only.
 */
public interface LimitStore {

    void insert(StorageTx tx, Limit limit);

    /** Replaces the mutable fields (name, amount, grace, thresholds, updated time); returns whether it existed. */
    boolean update(StorageTx tx, Limit limit);

    boolean delete(StorageTx tx, String tenantId, String id);

    Optional<Limit> find(StorageTx tx, String tenantId, String id);

    /** The tenant of the limit with that id, in whichever tenant it is. */
    Optional<String> tenantOf(StorageTx tx, String id);

    /**
     * A change to the limits of one scope, as the change feed ({@code tk_limit_changes}) holds it.
     *
     * @param scopeId {@code null} for a tenant-wide limit
     */
    record ScopeChange(
            String tenantId, LimitScope scope, @Nullable String scopeId) {}

    /** Adds a row to the change feed, in the transaction of the change. */
    void recordChange(StorageTx tx, String id, ScopeChange change, long changedAt);

    /** The changes recorded after {@code since}. */
    List<ScopeChange> changesSince(StorageTx tx, long since);

    /** Deletes the change-feed rows recorded before {@code before}; returns how many. */
    int pruneChanges(StorageTx tx, long before);

    /** Oldest first (ids are time-ordered), after {@code afterId} when given. */
    List<Limit> list(
            StorageTx tx,
            String tenantId,
            @Nullable LimitScope scope,
            @Nullable String scopeId,
            @Nullable String afterId,
            int limit);

    /** Limits by id, of any tenant (for the ledger's writer). */
    List<Limit> findByIds(StorageTx tx, java.util.Collection<String> ids);

    /**
     * What decides whether usage crosses a limit's alert levels: its amount, grace and thresholds.
     *
     * @param thresholds percentages of {@code amount}, ascending
     */
    record AlertRule(long amount, long grace, List<Integer> thresholds) {}

    /**
     * The alert rules of the limits with these ids, of any tenant, by id (absent for a deleted limit):
     * the ledger's writer reads them for every limit a batch charges, and whole limits only for those
     * whose alerts fire.
     */
    Map<String, AlertRule> alertRules(StorageTx tx, Collection<String> ids);

    /** The tenant-wide limits and those of the given user, project, token and run. */
    List<Limit> forScopes(
            StorageTx tx,
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String tokenId,
            @Nullable String runId);
}
