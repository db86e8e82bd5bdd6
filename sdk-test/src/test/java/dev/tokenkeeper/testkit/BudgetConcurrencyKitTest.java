package dev.tokenkeeper.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.audit.Actor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("the budget concurrency kit on SQLite")
class BudgetConcurrencyKitTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("passes on one instance, deletes its limit and revokes its token")
    void passesOnOneInstance() throws Exception {
        try (TokenKeeper keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("kit.db"))
                .backgroundMaintenance(false)
                .build()) {
            keeper.tenants().create("acme", "Acme", Actor.SYSTEM);
            // tag::kit[]
            BudgetConcurrencyKit.Report r = BudgetConcurrencyKit.builder(List.of(keeper), "acme")
                    .build()
                    .run();
            if (!r.passed()) throw new AssertionError(r);
            // end::kit[]
            assertThat(r.refused()).isPositive();
            assertThat(keeper.limits().list("acme", null, null, 10, null).items())
                    .isEmpty();
        }
    }

    @Test
    @DisplayName("a report fails when any promise is broken")
    void reportFailsOnAnyBrokenPromise() {
        // admitted, refused, counted, ledger, cap, open permits, room admitted, beyond room refused
        assertThat(new BudgetConcurrencyKit.Report(10, 5, 100, 100, 100, 0, true, true).passed())
                .isTrue();
        assertThat(new BudgetConcurrencyKit.Report(10, 5, 101, 101, 100, 0, true, true).passed())
                .as("over the cap")
                .isFalse();
        assertThat(new BudgetConcurrencyKit.Report(10, 5, 100, 99, 100, 0, true, true).passed())
                .as("counter and ledger disagree")
                .isFalse();
        assertThat(new BudgetConcurrencyKit.Report(10, 5, 100, 100, 100, 1, true, true).passed())
                .as("a permit left open")
                .isFalse();
        assertThat(new BudgetConcurrencyKit.Report(10, 5, 100, 100, 100, 0, false, true).passed())
                .as("the room left refused")
                .isFalse();
        assertThat(new BudgetConcurrencyKit.Report(10, 5, 100, 100, 100, 0, true, false).passed())
                .as("beyond the room admitted")
                .isFalse();
        assertThat(new BudgetConcurrencyKit.Report(10, 0, 100, 100, 100, 0, true, true).passed())
                .as("nothing refused: the budget was never under pressure")
                .isFalse();
    }
}
