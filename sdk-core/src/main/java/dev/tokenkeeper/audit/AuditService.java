package dev.tokenkeeper.audit;

import dev.tokenkeeper.Page;

/**
 * Reads the append-only audit log. Events are written by the services whose actions they record,
 * in the same transaction as the action itself. Obtain it from {@code keeper.audit()}; thread-safe.
 */
public interface AuditService {
    /**
     * One page of a tenant's audit events, newest first.
     *
     * @throws dev.tokenkeeper.InvalidRequestException when the cursor is not one this service issued
     */
    Page<AuditEvent> query(AuditQuery query);
}
