package dev.tokenkeeper.internal.audit;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.Page;
import dev.tokenkeeper.audit.AuditEntry;
import dev.tokenkeeper.audit.AuditEvent;
import dev.tokenkeeper.audit.AuditQuery;
import dev.tokenkeeper.audit.AuditService;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.internal.util.Cursors;
import java.util.List;
import org.jspecify.annotations.Nullable;

public final class DefaultAuditService implements AuditService {
    private final Storage storage;
    private final Auditor auditor;
    private final AggregatedEvents aggregated;

    public DefaultAuditService(Storage storage, Auditor auditor, AggregatedEvents aggregated) {
        this.storage = storage;
        this.auditor = auditor;
        this.aggregated = aggregated;
    }

    @Override
    public AuditEvent record(AuditEntry e) {
        Checks.required("entry", e);
        return storage.write(tx -> auditor.record(
                tx, e.tenantId(), e.actor(), e.action(), e.targetType(), e.targetId(), e.outcome(), e.metadata()));
    }

    @Override
    public void recordAggregated(AuditEntry e) {
        Checks.required("entry", e);
        for (String key : List.of("count", "window_start", "window_end")) {
            if (e.metadata().containsKey(key)) {
                throw new InvalidRequestException("metadata", "'" + key + "' is set by the aggregation itself");
            }
        }
        aggregated.count(new AggregatedEvents.Key(
                e.tenantId(),
                e.actor().id(),
                e.actor().source(),
                e.action(),
                e.targetType(),
                e.targetId(),
                e.outcome(),
                e.metadata()));
    }

    @Override
    public Page<AuditEvent> query(AuditQuery q) {
        @Nullable Long beforeAt = null;
        @Nullable String beforeId = null;
        if (q.cursor() != null) {
            String[] parts = Cursors.decode(q.cursor(), 2);
            beforeAt = Cursors.decodeLong(parts[0]);
            beforeId = parts[1];
        }
        Long from = q.from() == null ? null : q.from().toEpochMilli();
        Long to = q.to() == null ? null : q.to().toEpochMilli();
        Long bAt = beforeAt;
        String bId = beforeId;
        List<AuditEvent> rows = storage.read(tx ->
                storage.audit().query(tx, q.tenantId(), from, to, q.actions(), q.actor(), bAt, bId, q.limit() + 1));
        if (rows.size() <= q.limit()) {
            return new Page<>(rows, null);
        }
        List<AuditEvent> page = rows.subList(0, q.limit());
        AuditEvent last = page.get(page.size() - 1);
        return new Page<>(page, Cursors.encode(Long.toString(last.at().toEpochMilli()), last.id()));
    }
}
