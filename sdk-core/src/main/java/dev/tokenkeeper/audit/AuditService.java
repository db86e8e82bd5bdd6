package dev.tokenkeeper.audit;

import dev.tokenkeeper.Page;

/**
 * The append-only audit log. TokenKeeper writes its own events in the same transaction as the
 * action they record; an application adds its own (logins, refused requests) with
 * {@link #record} or {@link #recordAggregated}. Obtain it from {@code keeper.audit()}; thread-safe.
 */
public interface AuditService {
    /**
     * One page of a tenant's audit events, newest first.
     *
     * @throws dev.tokenkeeper.InvalidRequestException when the cursor is not one this service issued
     */
    Page<AuditEvent> query(AuditQuery query);

    /**
     * Writes one application event now, in a transaction of its own, and returns it as stored.
     * The tenant is not looked up: an application may keep an audit trail for tenants it manages
     * itself.
     *
     * @throws dev.tokenkeeper.StorageException when the database cannot be written
     */
    AuditEvent record(AuditEntry entry);

    /**
     * Counts an application event that may come in bursts (a refused request, a failed login):
     * identical entries within one window (the builder's {@code failureAuditWindow}, 1 minute by
     * default) become one event whose metadata adds {@code count}, {@code window_start} and
     * {@code window_end}. It costs no I/O on the caller's thread. Memory is bounded: beyond 10,000
     * distinct entries per window, further ones are counted under one overflow event per action in
     * tenant {@code _system}, with source {@code (other sources)}, no target id and only the
     * {@code reason} of the metadata, so a flood is counted, never lost and never unbounded. The
     * counts of a window not yet written are lost if the process dies; {@code close()} writes them.
     *
     * @throws dev.tokenkeeper.InvalidRequestException when the metadata uses {@code count},
     *     {@code window_start} or {@code window_end} itself
     */
    void recordAggregated(AuditEntry entry);
}
