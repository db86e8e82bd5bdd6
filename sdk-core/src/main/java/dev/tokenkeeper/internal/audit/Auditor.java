package dev.tokenkeeper.internal.audit;

import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEvent;
import dev.tokenkeeper.audit.AuditOutcome;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.util.Ids;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Writes audit events inside the caller's transaction, so an action and its record commit together. */
public final class Auditor {
    private final Storage storage;
    private final Clock clock;

    public Auditor(Storage storage, Clock clock) {
        this.storage = storage;
        this.clock = clock;
    }

    public AuditEvent record(
            StorageTx tx,
            String tenantId,
            Actor actor,
            AuditAction action,
            String targetType,
            @Nullable String targetId,
            AuditOutcome outcome,
            Map<String, String> metadata) {
        AuditEvent event = new AuditEvent(
                Ids.uuid7(clock),
                tenantId,
                Instant.ofEpochMilli(clock.millis()),
                actor.id(),
                actor.source(),
                action,
                targetType,
                targetId,
                outcome,
                metadata);
        storage.audit().insert(tx, event);
        return event;
    }
}
