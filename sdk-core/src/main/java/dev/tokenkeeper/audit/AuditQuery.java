package dev.tokenkeeper.audit;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.internal.util.Checks;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A filter over one tenant's audit log, newest first. Build with {@link #builder(String)}.
 *
 * @param tenantId the tenant whose events are read
 * @param from inclusive lower bound, or {@code null}
 * @param to exclusive upper bound, or {@code null}
 * @param actions the actions to include; empty means all
 * @param limit page size, 1 to 1000
 * @param cursor the cursor of the previous page, or {@code null} for the first page
 * @param actor only the events of this actor id, and of its delegates: ids that extend it with
 *     {@code /} (actor {@code user:42} matches {@code user:42} and {@code user:42/token:tk_1}, not
 *     {@code user:421}); {@code null} for every actor
 */
public record AuditQuery(
        String tenantId,
        @Nullable Instant from,
        @Nullable Instant to,
        Set<AuditAction> actions,
        int limit,
        @Nullable String cursor,
        @Nullable String actor) {

    public AuditQuery {
        Checks.tenantId("tenantId", tenantId);
        actions = Set.copyOf(actions);
        if (actions.size() > Checks.MAX_SET_SIZE) {
            throw new InvalidRequestException("actions", "must name at most " + Checks.MAX_SET_SIZE + " actions");
        }
        Checks.pageLimit("limit", limit);
        Checks.instant("from", from);
        Checks.instant("to", to);
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidRequestException("from", "must be before 'to'");
        }
        if (actor != null) {
            Checks.identifier("actor", actor);
        }
    }

    /** A query of every actor's events. */
    public AuditQuery(
            String tenantId,
            @Nullable Instant from,
            @Nullable Instant to,
            Set<AuditAction> actions,
            int limit,
            @Nullable String cursor) {
        this(tenantId, from, to, actions, limit, cursor, null);
    }

    public static Builder builder(String tenantId) {
        return new Builder(tenantId);
    }

    /** Builder for {@link AuditQuery}. */
    public static final class Builder {
        private final String tenantId;
        private @Nullable Instant from;
        private @Nullable Instant to;
        private final Set<AuditAction> actions = new LinkedHashSet<>();
        private int limit = 100;
        private @Nullable String cursor;
        private @Nullable String actor;

        private Builder(String tenantId) {
            this.tenantId = requireNonNull(tenantId, "tenantId");
        }

        public Builder from(@Nullable Instant from) {
            this.from = from;
            return this;
        }

        public Builder to(@Nullable Instant to) {
            this.to = to;
            return this;
        }

        public Builder action(AuditAction action) {
            this.actions.add(requireNonNull(action, "action"));
            return this;
        }

        public Builder actions(Set<AuditAction> actions) {
            this.actions.addAll(actions);
            return this;
        }

        public Builder limit(int limit) {
            this.limit = limit;
            return this;
        }

        public Builder cursor(@Nullable String cursor) {
            this.cursor = cursor;
            return this;
        }

        /** Only this actor's events and its delegates' ({@code actor/...}); see {@link AuditQuery#actor()}. */
        public Builder actor(@Nullable String actor) {
            this.actor = actor;
            return this;
        }

        public AuditQuery build() {
            return new AuditQuery(tenantId, from, to, actions, limit, cursor, actor);
        }
    }
}
