package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.TokenSpec;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * {@code authorize} + {@code complete} on cached tokens (1,000 active) with two applicable limits
 * (a tenant-wide dollar budget and a per-token token budget, both far from exhausted), on the
 * embedded SQLite default. {@code complete} records the call in the ledger, so this includes the
 * queueing of the usage event (the batch writer commits on the other core).
 *
 * <p>What each variant measures: {@code authorizeComplete*} (2 s iterations, a queue of 1,000,000)
 * is the caller's cost while the queue grows, since the writer commits fewer events per second than
 * the callers make; {@code *Burst} is the caller's cost in bursts of {@value #BURST} calls with the
 * writer committing alongside and catching up between bursts (outside the measured time);
 * {@code authorizeCompleteCommitted} includes waiting until the ledger committed each burst, so it
 * is the rate the database sustains.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar AdmissionBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH})
@State(Scope.Benchmark)
public class AdmissionBenchmark {
    /**
     * Active tokens the calls cycle through: 1,000 in the published set; fewer (say 20) show what a
     * call costs when every token's state stays in the core's own caches (compare
     * {@code BaselineBenchmark} with as many keys).
     */
    @Param({"1000"})
    public int tokens;

    /** {@code local}: reservations in memory (SQLite default); {@code shared}: in the database. */
    @Param({"local", "shared-sqlite", "shared-postgresql"})
    public String budgets;

    Path dir;
    EmbeddedPostgres postgres;
    TokenKeeper keeper;
    String[] secrets;

    @State(Scope.Thread)
    public static class Cursor {
        int next;
        int tokens;

        /**
         * Threads start half the tokens apart, as callers with tokens of their own would, rather than
         * take turns on each token's counter (they still share the tenant's).
         */
        @Setup(Level.Trial)
        public void start(ThreadParams thread, AdmissionBenchmark b) {
            tokens = b.tokens;
            next = thread.getThreadIndex() * (tokens / 2);
        }
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("tk-admission-bench");
        TokenKeeper.Builder b = TokenKeeper.builder()
                .shutdownHook(false)
                .ledgerQueueCapacity(1_000_000)
                .sharedBudgets(!budgets.equals("local"));
        if (budgets.equals("shared-postgresql")) {
            postgres = EmbeddedPostgres.builder().start();
            b.jdbcUrl(postgres.getJdbcUrl("postgres", "postgres"), "postgres", null);
        } else {
            b.sqliteFile(dir.resolve("bench.db"));
        }
        keeper = b.build();
        keeper.tenants().ensure("bench", "Benchmark");
        keeper.limits()
                .create(LimitSpec.builder("bench")
                        .name("tenant $")
                        .costUsd(Money.of("4000000"))
                        .period(LimitPeriod.MONTH)
                        .build());
        secrets = new String[tokens];
        for (int i = 0; i < tokens; i++) {
            var t = keeper.tokens()
                    .issue(TokenSpec.builder().tenant("bench").name("t" + i).build());
            secrets[i] = t.secret();
            keeper.limits()
                    .create(LimitSpec.builder("bench")
                            .name("t" + i)
                            .token(t.info().id())
                            .tokens(Long.MAX_VALUE / 4)
                            .period(LimitPeriod.DAY)
                            .build());
        }
        for (String s : secrets) { // warm the token and limit caches
            ((Permit) keeper.authorize(s, CallRequest.of("anthropic", "claude-haiku-4-5", 100, 100))).release();
        }
        // Every pass of the change feed drops the tokens changed within clockSkewMargin + 2 syncs
        // (7 s by default), so for 7 s after setup each of the 1,000 new tokens is re-read from the
        // database once a second. Measure the steady state, after that.
        Steady.awaitChangeFeedMargin();
        for (String s : secrets) {
            ((Permit) keeper.authorize(s, CallRequest.of("anthropic", "claude-haiku-4-5", 100, 100))).release();
        }
    }

    @TearDown(Level.Iteration)
    public void drain() {
        keeper.usage().flush();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        keeper.close();
        if (postgres != null) {
            postgres.close();
        }
        TempDir.delete(dir);
    }

    final CallRequest call = CallRequest.of("anthropic", "claude-haiku-4-5", 1_000, 500);
    final TokenCounts used = TokenCounts.of(900, 300);
    final Duration latency = Duration.ofMillis(250);

    Object admitAndComplete(Cursor c) {
        Admission a = keeper.authorize(secrets[c.next++ % c.tokens], call);
        return ((Permit) a).complete(used, latency);
    }

    @Benchmark
    @Threads(1)
    public Object authorizeComplete(Cursor c) {
        return admitAndComplete(c);
    }

    @Benchmark
    @Threads(2)
    public Object authorizeCompleteTwoThreads(Cursor c) {
        return admitAndComplete(c);
    }

    static final int BURST = 10_000;

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SingleShotTime)
    @OperationsPerInvocation(BURST)
    @Warmup(iterations = 100)
    @Measurement(iterations = 200)
    public Object authorizeCompleteBurst(Cursor c) {
        Object last = null;
        for (int i = 0; i < BURST; i++) {
            last = admitAndComplete(c);
        }
        return last;
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.SingleShotTime)
    @OperationsPerInvocation(BURST)
    @Warmup(iterations = 100)
    @Measurement(iterations = 200)
    public Object authorizeCompleteBurstTwoThreads(Cursor c) {
        return authorizeCompleteBurst(c);
    }

    /** As {@link #authorizeCompleteBurst}, but each burst ends when the ledger has committed it: the sustained rate. */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SingleShotTime)
    @OperationsPerInvocation(BURST)
    @Warmup(iterations = 50)
    @Measurement(iterations = 100)
    public Object authorizeCompleteCommitted(Cursor c) {
        Object last = authorizeCompleteBurst(c);
        keeper.usage().flush();
        return last;
    }

    @Benchmark
    @Threads(1)
    public Object authorizeRelease(Cursor c) {
        Admission a = keeper.authorize(secrets[c.next++ % c.tokens], call);
        ((Permit) a).release();
        return a;
    }
}
