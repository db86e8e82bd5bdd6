package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.TokenSpec;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Two {@code TokenKeeper} instances on one (embedded) PostgreSQL with shared budgets, one thread
 * each: admissions per second, combined, on 1,000 cached tokens with two applicable budgets (a
 * tenant-wide dollar budget and a per-token token budget), with budget leasing or with a database
 * reservation per call.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar SharedBudgetBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH})
@State(Scope.Benchmark)
public class SharedBudgetBenchmark {
    static final int TOKENS = 1000;

    /** leased or per-call shared budgets; local: each instance's own counters (for comparison). */
    @Param({"leased", "per-call", "local"})
    public String mode;

    EmbeddedPostgres postgres;
    TokenKeeper[] keepers = new TokenKeeper[2];
    String[] secrets;
    final AtomicInteger threads = new AtomicInteger();

    /** Each thread is one instance's caller. */
    @State(Scope.Thread)
    public static class Caller {
        TokenKeeper keeper;
        int next;

        @Setup(Level.Trial)
        public void pick(SharedBudgetBenchmark b) {
            keeper = b.keepers[b.threads.getAndIncrement() % 2];
        }
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        postgres = EmbeddedPostgres.builder().start();
        for (int i = 0; i < 2; i++) {
            keepers[i] = TokenKeeper.builder()
                    .shutdownHook(false)
                    .ledgerQueueCapacity(1_000_000)
                    .jdbcUrl(postgres.getJdbcUrl("postgres", "postgres"), "postgres", null)
                    .sharedBudgets(!mode.equals("local"))
                    .budgetLeasing(mode.equals("leased"))
                    .build();
        }
        TokenKeeper k = keepers[0];
        k.tenants().ensure("bench", "Benchmark");
        k.limits()
                .create(LimitSpec.builder("bench")
                        .name("tenant $")
                        .costUsd(Money.of("4000000"))
                        .period(LimitPeriod.MONTH)
                        .build());
        secrets = new String[TOKENS];
        for (int i = 0; i < TOKENS; i++) {
            var t = k.tokens()
                    .issue(TokenSpec.builder().tenant("bench").name("t" + i).build());
            secrets[i] = t.secret();
            k.limits()
                    .create(LimitSpec.builder("bench")
                            .name("t" + i)
                            .token(t.info().id())
                            .tokens(Long.MAX_VALUE / 4)
                            .period(LimitPeriod.DAY)
                            .build());
        }
        for (TokenKeeper each : keepers) {
            for (String s : secrets) { // warm the token and limit caches
                ((Permit) each.authorize(s, CallRequest.of("anthropic", "claude-haiku-4-5", 100, 100))).release();
            }
        }
    }

    @TearDown(Level.Iteration)
    public void drain() {
        for (TokenKeeper k : keepers) {
            k.usage().flush();
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        for (TokenKeeper k : keepers) {
            k.close();
        }
        postgres.close();
    }

    final CallRequest call = CallRequest.of("anthropic", "claude-haiku-4-5", 1_000, 500);
    final TokenCounts used = TokenCounts.of(900, 300);
    final Duration latency = Duration.ofMillis(250);

    /** An admission that is released: the budget path alone. */
    @Benchmark
    @Threads(2)
    public Object authorizeRelease(Caller c) {
        Permit p = (Permit) c.keeper.authorize(secrets[c.next++ % TOKENS], call);
        p.release();
        return p;
    }

    /** An admission completed with usage: the budget path plus the ledger (its writer is the bound). */
    @Benchmark
    @Threads(2)
    public Object authorizeComplete(Caller c) {
        var a = c.keeper.authorize(secrets[c.next++ % TOKENS], call);
        if (a instanceof dev.tokenkeeper.admission.Denial d) {
            throw new IllegalStateException(d.toString());
        }
        return ((Permit) a).complete(used, latency);
    }
}
