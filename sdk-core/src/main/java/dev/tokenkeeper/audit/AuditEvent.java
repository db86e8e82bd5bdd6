package dev.tokenkeeper.audit;

import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One append-only audit record.
 *
 * @param id a time-ordered unique id
 * @param tenantId the tenant the action belongs to ({@code _system} for failed verifications of
 *     secrets that belong to no known tenant)
 * @param at when it happened (UTC)
 * @param actor who did it
 * @param source where it came from, if known
 * @param action what was done
 * @param targetType the kind of object acted on, such as {@code token}
 * @param targetId the id of that object, if any
 * @param outcome success or failure
 * @param metadata further details; never a secret or a secret's hash
 */
public record AuditEvent(
        String id,
        String tenantId,
        Instant at,
        String actor,
        @Nullable String source,
        AuditAction action,
        String targetType,
        @Nullable String targetId,
        AuditOutcome outcome,
        Map<String, String> metadata) {
    public AuditEvent {
        metadata = Map.copyOf(metadata);
    }
}
