package dev.tokenkeeper.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.EmbeddedPostgres;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.audit.Actor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the budget concurrency kit on PostgreSQL")
class BudgetConcurrencyKitIT {

    private static TokenKeeper.Builder shared(HikariDataSource db) {
        // no background work: nobody answers a lease recall, so a call that finds no room refuses at once
        return TokenKeeper.builder()
                .dataSource(db)
                .sharedBudgets(true)
                .backgroundMaintenance(false)
                .budgetRecallWait(Duration.ZERO);
    }

    @Test
    @DisplayName("two instances on one database enforce one budget, leased or reserved call by call")
    void twoInstancesShareBudgets() throws Exception {
        try (HikariDataSource db = EmbeddedPostgres.freshDatabase();
                TokenKeeper a = shared(db).build();
                TokenKeeper b = shared(db).build();
                TokenKeeper c = shared(db).budgetLeasing(false).build();
                TokenKeeper d = shared(db).budgetLeasing(false).build()) {
            a.tenants().create("acme", "Acme", Actor.SYSTEM);
            for (List<TokenKeeper> pair : List.of(List.of(a, b), List.of(c, d))) {
                BudgetConcurrencyKit.Report r = BudgetConcurrencyKit.builder(pair, "acme")
                        .threadsPerKeeper(3)
                        .callsPerThread(120)
                        .budget(30_000, 500, 20_000)
                        .build()
                        .run();
                assertThat(r.passed()).as(r.toString()).isTrue();
            }
        }
    }
}
