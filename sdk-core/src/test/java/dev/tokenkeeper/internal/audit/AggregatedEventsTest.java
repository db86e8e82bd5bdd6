package dev.tokenkeeper.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.audit.AuditAction;
import dev.tokenkeeper.audit.AuditEvent;
import dev.tokenkeeper.internal.storage.jdbc.DataSources;
import dev.tokenkeeper.internal.storage.jdbc.JdbcStorage;
import dev.tokenkeeper.tokens.RejectionReason;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AggregatedEventsTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a flood of distinct sources stays bounded in memory and every failure is still counted")
    void floodIsBoundedAndCounted() {
        HikariDataSource pool = DataSources.sqlite(dir.resolve("f.db"), 2);
        try (JdbcStorage storage = JdbcStorage.create(pool, pool)) {
            Clock clock = Clock.systemUTC();
            AggregatedEvents failures = new AggregatedEvents(storage, new Auditor(storage, clock), clock);
            int flood = AggregatedEvents.MAX_KEYS * 3;
            for (int i = 0; i < flood; i++) {
                failures.record(null, null, RejectionReason.NOT_FOUND, "198.51.100." + i);
            }
            assertThat(failures.pendingKeys()).isLessThanOrEqualTo(AggregatedEvents.MAX_KEYS + 1);
            failures.flush();
            assertThat(failures.pendingKeys()).isZero();
            List<AuditEvent> events = storage.read(tx -> storage.audit()
                    .query(
                            tx,
                            AggregatedEvents.SYSTEM_TENANT,
                            null,
                            null,
                            java.util.Set.of(AuditAction.TOKEN_VERIFICATION_FAILED),
                            null,
                            null,
                            null,
                            flood));
            long counted = events.stream()
                    .mapToLong(e -> Long.parseLong(e.metadata().get("count")))
                    .sum();
            assertThat(counted).isEqualTo(flood);
            assertThat(events).anySatisfy(e -> assertThat(e.source()).isEqualTo(AggregatedEvents.OVERFLOW_SOURCE));
        }
    }
}
