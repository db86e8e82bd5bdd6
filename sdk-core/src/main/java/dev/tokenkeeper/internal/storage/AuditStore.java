package dev.tokenkeeper.internal.storage;

import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEvent;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** The append-only audit log. */
public interface AuditStore {
    void insert(StorageTx tx, AuditEvent event);

    /**
     * Newest first; rows strictly before the ({@code beforeAt}, {@code beforeId}) key when given;
     * with an {@code actor}, only its events and its delegates' ({@code actor/...}).
     */
    List<AuditEvent> query(
            StorageTx tx,
            String tenantId,
            @Nullable Long from,
            @Nullable Long to,
            Set<AuditAction> actions,
            @Nullable String actor,
            @Nullable Long beforeAt,
            @Nullable String beforeId,
            int limit);
}
