package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * A reproducible ledger data set for the query benchmarks: {@code tk.events} events (default 10
 * million) of tenant {@code bench}, evenly spread over the 30 days before {@link #END}, recorded
 * through the public API so that the events, traces and roll-ups are exactly what TokenKeeper writes.
 *
 * <p>Shape: 500 tokens, each with a fixed user (100 users) and project (25 projects) and two of five
 * Anthropic models; 97 % of calls succeed, 2 % fail, 1 % are cancelled; token counts vary per call.
 * The data lives under {@code tk.datasets} (default {@code benchmarks/target/datasets}) and is built
 * once: a SQLite file, and a PostgreSQL data directory served by an embedded server.
 *
 * <pre>
 * java -Dtk.events=10000000 -cp benchmarks/target/benchmarks.jar dev.tokenkeeper.benchmarks.LedgerDataset sqlite
 * java -Dtk.events=10000000 -cp benchmarks/target/benchmarks.jar dev.tokenkeeper.benchmarks.LedgerDataset postgresql
 * </pre>
 */
public final class LedgerDataset implements AutoCloseable {
    static final String TENANT = "bench";
    static final Instant END = Instant.parse("2026-11-01T00:00:00Z");
    static final Instant START = END.minus(Duration.ofDays(30));
    static final int TOKENS = 500;
    static final String[] MODELS = {
        "claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-sonnet-4", "claude-3-5-haiku"
    };

    final TokenKeeper keeper;
    private final EmbeddedPostgres postgres;

    private LedgerDataset(TokenKeeper keeper, EmbeddedPostgres postgres) {
        this.keeper = keeper;
        this.postgres = postgres;
    }

    static long events() {
        return Long.getLong("tk.events", 10_000_000L);
    }

    static Path home() {
        return Path.of(System.getProperty("tk.datasets", "benchmarks/target/datasets"));
    }

    /** Opens the data set of {@code backend}, generating it first when it is missing or incomplete. */
    static LedgerDataset open(String backend) throws IOException {
        long n = events();
        Path dir = home().resolve(backend + "-" + n);
        Path done = dir.resolve("complete");
        Files.createDirectories(dir);
        TokenKeeper.Builder b = TokenKeeper.builder()
                .shutdownHook(false)
                .ledgerQueueCapacity(100_000)
                .ledgerBatchSize(10_000);
        EmbeddedPostgres pg = null;
        if (backend.equals("sqlite")) {
            if (!Files.exists(done)) {
                Files.deleteIfExists(dir.resolve("ledger.db"));
            }
            b.sqliteFile(dir.resolve("ledger.db"));
        } else {
            Path data = dir.resolve("pgdata");
            if (!Files.exists(done)) {
                deleteTree(data);
            }
            // kept on close: the data set outlives the run that built it
            pg = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(false)
                    .start();
            b.jdbcUrl(pg.getJdbcUrl("postgres", "postgres"), "postgres", null);
        }
        LedgerDataset d = new LedgerDataset(b.build(), pg);
        if (!Files.exists(done)) {
            d.generate(n);
            Files.writeString(done, n + " events\n");
        }
        return d;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private void generate(long n) {
        keeper.tenants().ensure(TENANT, "Benchmark");
        SplittableRandom random = new SplittableRandom(20261122);
        long span = Duration.between(START, END).toMillis();
        long started = System.nanoTime();
        for (long i = 0; i < n; i++) {
            int token = random.nextInt(TOKENS);
            int r = random.nextInt(100);
            CallOutcome outcome = r < 97 ? CallOutcome.SUCCESS : r < 99 ? CallOutcome.ERROR : CallOutcome.CANCELLED;
            keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId("req-" + i)
                            .tenant(TENANT)
                            .token("tok-" + token)
                            .user("user-" + token % 100)
                            .project("project-" + token % 25)
                            .provider("anthropic")
                            .model(MODELS[(token + random.nextInt(2)) % MODELS.length])
                            .counts(new TokenCounts(
                                    200 + random.nextInt(20_000),
                                    random.nextInt(5_000),
                                    0,
                                    outcome == CallOutcome.SUCCESS ? 50 + random.nextInt(2_000) : 0,
                                    0))
                            .outcome(outcome)
                            .errorMessage(outcome == CallOutcome.ERROR ? "upstream returned 529 overloaded" : null)
                            .latency(Duration.ofMillis(200 + random.nextInt(5_000)))
                            .at(START.plusMillis(span * i / n))
                            .build());
            if ((i + 1) % 1_000_000 == 0) {
                System.out.printf("%,d events recorded, %.0f s%n", i + 1, (System.nanoTime() - started) / 1e9);
            }
        }
        keeper.usage().flush();
        System.out.printf("%,d events in %.0f s%n", n, (System.nanoTime() - started) / 1e9);
    }

    @Override
    public void close() throws IOException {
        keeper.close();
        if (postgres != null) {
            postgres.close();
        }
    }

    public static void main(String[] args) throws IOException {
        String backend = args.length > 0 ? args[0] : "sqlite";
        LedgerDataset d = open(backend);
        try {
            System.out.println("data set ready: " + home().resolve(backend + "-" + events()));
        } finally {
            d.close();
        }
    }
}
