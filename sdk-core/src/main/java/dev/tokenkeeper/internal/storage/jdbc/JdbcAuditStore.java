package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEvent;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.internal.storage.AuditStore;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.util.Json;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

final class JdbcAuditStore implements AuditStore {
    private static final RowMapper<AuditEvent> MAPPER = (rs, ctx) -> new AuditEvent(
            rs.getString("id"),
            rs.getString("tenant_id"),
            Instant.ofEpochMilli(rs.getLong("at")),
            rs.getString("actor"),
            rs.getString("source"),
            AuditAction.of(rs.getString("action")),
            rs.getString("target_type"),
            rs.getString("target_id"),
            AuditOutcome.valueOf(rs.getString("outcome")),
            Json.readMap(rs.getString("metadata")));

    @Override
    public void insert(StorageTx tx, AuditEvent e) {
        JdbcTx.of(tx)
                .createUpdate("INSERT INTO tk_audit_events (id, tenant_id, at, actor, source, action, target_type,"
                        + " target_id, outcome, metadata) VALUES (:id, :tenant, :at, :actor, :source, :action,"
                        + " :targetType, :targetId, :outcome, :metadata)")
                .bind("id", e.id())
                .bind("tenant", e.tenantId())
                .bind("at", e.at().toEpochMilli())
                .bind("actor", e.actor())
                .bind("source", e.source())
                .bind("action", e.action().id())
                .bind("targetType", e.targetType())
                .bind("targetId", e.targetId())
                .bind("outcome", e.outcome().name())
                .bind("metadata", Json.write(e.metadata()))
                .execute();
    }

    @Override
    public List<AuditEvent> query(
            StorageTx tx,
            String tenantId,
            @Nullable Long from,
            @Nullable Long to,
            Set<AuditAction> actions,
            @Nullable String actor,
            @Nullable Long beforeAt,
            @Nullable String beforeId,
            int limit) {
        Conditions c = new Conditions()
                .where("tenant_id = :tenant", "tenant", tenantId)
                .whereIf(from, "at >= :from", "from")
                .whereIf(to, "at < :to", "to");
        if (!actions.isEmpty()) {
            c.where("action IN (<actions>)")
                    .list(
                            "actions",
                            actions.stream().map(AuditAction::id).sorted().collect(Collectors.toList()));
        }
        if (actor != null) {
            c.where("(actor = :actor OR substr(actor, 1, :delegateLength) = :delegatePrefix)")
                    .value("actor", actor)
                    .value("delegateLength", actor.length() + 1)
                    .value("delegatePrefix", actor + "/");
        }
        if (beforeAt != null) {
            c.where("(at, id) < (:beforeAt, :beforeId)")
                    .value("beforeAt", beforeAt)
                    .value("beforeId", java.util.Objects.requireNonNull(beforeId, "a cursor names both"));
        }
        Query q = JdbcTx.of(tx)
                .createQuery("SELECT id, tenant_id, at, actor, source, action, target_type, target_id,"
                        + " outcome, metadata FROM tk_audit_events" + c.sql()
                        + " ORDER BY at DESC, id DESC LIMIT :limit");
        return c.bind(q).bind("limit", limit).map(MAPPER).list();
    }
}
