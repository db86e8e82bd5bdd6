package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.UsageEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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

/**
 * Sustained recording into the ledger: events, their traces (the same rows) and the hourly roll-ups,
 * committed by the batch writer. Each invocation records {@value #EVENTS} events on one thread and
 * then waits until the writer has committed all of them, so the figure (events per second) is what
 * the database absorbed, never what the queue buffered. The ledger runs with its default settings
 * unless {@code batch} says otherwise.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar LedgerRecordBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH})
@State(Scope.Benchmark)
public class LedgerRecordBenchmark {
    static final int TOKENS = 1000;
    static final String[] MODELS = {"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5"};

    @Param({"sqlite", "postgresql"})
    public String backend;

    /** Events recorded and committed per invocation. */
    static final int EVENTS = 100_000;

    /** The writer's largest batch ({@code ledgerBatchSize}); 0 keeps the default. */
    @Param({"0"})
    public int batch;

    Path dir;
    EmbeddedPostgres postgres;
    TokenKeeper keeper;
    final AtomicLong sequence = new AtomicLong();

    @Setup(Level.Trial)
    public void open() throws IOException {
        TokenKeeper.Builder b = TokenKeeper.builder().shutdownHook(false);
        if (batch > 0) {
            b.ledgerBatchSize(batch);
        }
        if (backend.equals("sqlite")) {
            dir = Files.createTempDirectory("tk-ledger-bench");
            b.sqliteFile(dir.resolve("ledger.db"));
        } else {
            postgres = EmbeddedPostgres.builder().start();
            b.jdbcUrl(postgres.getJdbcUrl("postgres", "postgres"), "postgres", null);
        }
        keeper = b.build();
        keeper.tenants().ensure("bench", "Benchmark");
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        keeper.close();
        if (postgres != null) {
            postgres.close();
        }
        if (dir != null) {
            TempDir.delete(dir);
        }
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(EVENTS)
    public long record() {
        long idLength = 0;
        for (int i = 0; i < EVENTS; i++) {
            long n = sequence.incrementAndGet();
            idLength += keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId("req-" + n)
                            .tenant("bench")
                            .token("tok-" + (n % TOKENS))
                            .project("p" + (n % 10))
                            .provider("anthropic")
                            .model(MODELS[(int) (n % MODELS.length)])
                            .counts(new TokenCounts(1_000 + n % 500, n % 300, 0, 200 + n % 100, 0))
                            .latency(Duration.ofMillis(300))
                            .build())
                    .eventId()
                    .length();
        }
        keeper.usage().flush(); // counted: the events are committed when the invocation ends
        return idLength;
    }
}
