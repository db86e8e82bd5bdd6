package dev.tokenkeeper.audit;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.internal.util.Checks;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An application's own audit event, to be written by {@link AuditService#record} or counted by
 * {@link AuditService#recordAggregated}. The id and the time are assigned when it is written.
 *
 * @param tenantId the tenant whose audit log receives it
 * @param actor who did it, and from where
 * @param action what was done; not in a namespace TokenKeeper writes itself ({@link AuditAction#isReserved()})
 * @param targetType the kind of object acted on, such as {@code user} or {@code request}; 1 to 64 characters
 * @param targetId the id of that object, or {@code null}; at most 128 characters
 * @param outcome success or failure
 * @param metadata further details, at most 32 entries and 8 KiB, printable values; never put a
 *     secret, a password or a hash here
 */
public record AuditEntry(
        String tenantId,
        Actor actor,
        AuditAction action,
        String targetType,
        @Nullable String targetId,
        AuditOutcome outcome,
        Map<String, String> metadata) {

    /** @throws InvalidRequestException naming the first field that is missing or out of range */
    public AuditEntry {
        Checks.tenantId("tenantId", tenantId);
        Checks.required("actor", actor);
        Checks.required("action", action);
        if (action.isReserved()) {
            throw new InvalidRequestException(
                    "action",
                    "'" + action.id()
                            + "' lies in a namespace TokenKeeper writes itself (tenant., token., limit., price.)");
        }
        Checks.required("targetType", targetType);
        if (targetType.isEmpty()) {
            throw new InvalidRequestException("targetType", "must not be empty");
        }
        Checks.text("targetType", targetType, 64);
        if (targetId != null) {
            Checks.identifier("targetId", targetId);
        }
        Checks.required("outcome", outcome);
        Checks.required("metadata", metadata);
        metadata = Checks.metadata("metadata", metadata);
        metadata.forEach((k, v) -> Checks.text("metadata." + k, v, Checks.MAX_METADATA_VALUE_LENGTH));
    }

    /** An entry without target id or metadata. */
    public static AuditEntry of(
            String tenantId, Actor actor, AuditAction action, String targetType, AuditOutcome outcome) {
        return new AuditEntry(tenantId, actor, action, targetType, null, outcome, Map.of());
    }
}
