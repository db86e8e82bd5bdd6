package dev.tokenkeeper.examples.plain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("plain Java example")
class BudgetedAgentTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("the agent stops at its dollar budget, with what it spent recorded exactly")
    void stopsAtTheBudget() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            BudgetedAgent.main(new String[] {dir.resolve("agent.db").toString()});
        } finally {
            System.setOut(original);
        }
        // Claude Sonnet 4.5: $3 / $15 per million tokens. A call costs 1,800 × 3 + 700 × 15 = $0.0159
        // and reserves 2,000 × 3 + 1,000 × 15 = $0.021: after 2 calls 0.0318 + 0.021 > 0.05
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("stopped after 2 steps: BUDGET_EXCEEDED until ")
                .contains("spent 0.031800000000 USD on 2 calls");
    }
}
