package dev.tokenkeeper.examples.plain;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.usage.UsageQuery;
import dev.tokenkeeper.usage.UsageTotals;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Plain Java, no framework: an agent loop that stops at its daily dollar budget. Every LLM call is
 * admitted first (reserving its estimate), then completed with the usage the provider reported.
 * Run with the SQLite file as the only argument.
 */
public final class BudgetedAgent {

    public static void main(String[] args) {
        try (TokenKeeper keeper =
                TokenKeeper.builder().sqliteFile(Path.of(args[0])).build()) {
            keeper.tenants().ensure("acme", "Acme Inc.");
            IssuedToken agent = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant("acme")
                            .name("research-agent")
                            .project("research")
                            .build());
            keeper.limits()
                    .create(LimitSpec.builder("acme")
                            .name("agent daily")
                            .token(agent.info().id())
                            .costUsd(Money.of("0.05")) // $0.05 a day
                            .period(LimitPeriod.DAY)
                            .alertThresholds(java.util.List.of(50, 80, 100))
                            .build());

            int step = 0;
            while (true) {
                CallRequest call = CallRequest.of("anthropic", "claude-sonnet-4-5", 2_000, 1_000);
                Admission admission = keeper.authorize(agent.secret(), call);
                if (admission instanceof Denial denial) {
                    System.out.println(
                            "stopped after " + step + " steps: " + denial.reason() + " until " + denial.resetAt());
                    break;
                }
                Permit permit = (Permit) admission;
                long started = System.nanoTime();
                TokenCounts used = callTheModel(step); // your provider's SDK here
                permit.complete(used, Duration.ofNanos(System.nanoTime() - started));
                step++;
            }

            keeper.usage().flush();
            Instant today = Instant.now().truncatedTo(ChronoUnit.DAYS);
            UsageTotals totals = keeper.usage()
                    .totals(UsageQuery.builder("acme", today, today.plus(1, ChronoUnit.DAYS))
                            .token(agent.info().id())
                            .build());
            System.out.println(
                    "spent " + totals.cost().amount().toPlainString() + " USD on " + totals.requests() + " calls");
        }
    }

    /** A stand-in for the provider: 1,800 input and 700 output tokens a call. */
    private static TokenCounts callTheModel(int step) {
        return TokenCounts.of(1_800, 700);
    }
}
