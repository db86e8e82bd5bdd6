package dev.tokenkeeper.internal.audit;

import dev.tokenkeeper.Page;
import dev.tokenkeeper.audit.AuditEvent;
import dev.tokenkeeper.audit.AuditQuery;
import dev.tokenkeeper.audit.AuditService;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.Cursors;
import java.util.List;
import org.jspecify.annotations.Nullable;

public final class DefaultAuditService implements AuditService {
    private final Storage storage;

    public DefaultAuditService(Storage storage) {
        this.storage = storage;
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
        List<AuditEvent> rows = storage.read(
                tx -> storage.audit().query(tx, q.tenantId(), from, to, q.actions(), bAt, bId, q.limit() + 1));
        if (rows.size() <= q.limit()) {
            return new Page<>(rows, null);
        }
        List<AuditEvent> page = rows.subList(0, q.limit());
        AuditEvent last = page.get(page.size() - 1);
        return new Page<>(page, Cursors.encode(Long.toString(last.at().toEpochMilli()), last.id()));
    }
}
