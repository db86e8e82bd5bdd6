package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.UsageEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
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
 * Sustained recording into the ledger: events, their traces (the same rows) and the hourly roll-ups,
 * committed by the batch writer. The queue is kept small (10,000) and flushed at the end of every
 * iteration, so the figure is what the database absorbs, not what the queue buffers.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar LedgerRecordBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class LedgerRecordBenchmark {
    static final int TOKENS = 1000;
    static final String[] MODELS = {"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5"};

    @Param({"sqlite", "postgresql"})
    public String backend;

    Path dir;
    EmbeddedPostgres postgres;
    TokenKeeper keeper;
    final AtomicLong sequence = new AtomicLong();

    @Setup(Level.Trial)
    public void open() throws IOException {
        TokenKeeper.Builder b = TokenKeeper.builder().ledgerQueueCapacity(10_000).shutdownHook(false);
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
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Benchmark
    @Threads(1)
    public Object record() {
        long n = sequence.incrementAndGet();
        return keeper.usage().record(UsageEvent.builder()
                .requestId("req-" + n)
                .tenant("bench")
                .token("tok-" + (n % TOKENS))
                .project("p" + (n % 10))
                .provider("anthropic")
                .model(MODELS[(int) (n % MODELS.length)])
                .counts(new TokenCounts(1_000 + n % 500, n % 300, 0, 200 + n % 100, 0))
                .latency(Duration.ofMillis(300))
                .build());
    }
}
