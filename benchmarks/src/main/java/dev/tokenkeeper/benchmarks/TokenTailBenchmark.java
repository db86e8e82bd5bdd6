package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.tokens.VerificationResult;
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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The distribution of {@code verify} on cached tokens when there are many of them (100,000 by
 * default, all cached), beside the {@link CompositeGuard} over as many keys: JMH's sample mode reports
 * the median and the 90th, 99th and 99.9th percentiles. The setup also prints what a cold start costs:
 * how long the first verification of every token took (each reads the database once).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar TokenTailBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH})
public class TokenTailBenchmark {

    @State(Scope.Benchmark)
    public static class Keeper {
        @Param({"100000"})
        public int tokens;

        Path dir;
        TokenKeeper keeper;
        String[] secrets;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("tk-tail-bench");
            keeper = TokenKeeper.builder()
                    .sqliteFile(dir.resolve("bench.db"))
                    .shutdownHook(false)
                    .build();
            keeper.tenants().ensure("bench", "Benchmark");
            secrets = new String[tokens];
            for (int i = 0; i < tokens; i++) {
                secrets[i] = keeper.tokens()
                        .issue(TokenSpec.builder()
                                .tenant("bench")
                                .name("t" + i)
                                .role(Role.AGENT)
                                .build())
                        .secret();
            }
            // issuing caches nothing: the first verification of each token reads the database
            long start = System.nanoTime();
            for (String s : secrets) {
                keeper.tokens().verify(s);
            }
            Duration cold = Duration.ofNanos(System.nanoTime() - start);
            System.out.printf(
                    "%ncold start: the first verification of %,d tokens took %,d ms in all, %.1f µs each%n",
                    tokens, cold.toMillis(), cold.toNanos() / 1000.0 / tokens);
            Steady.awaitChangeFeedMargin();
            for (String s : secrets) {
                keeper.tokens().verify(s);
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            keeper.close();
            TempDir.delete(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class Guard {
        @Param({"100000"})
        public int tokens;

        CompositeGuard guard;

        @Setup(Level.Trial)
        public void open() {
            guard = new CompositeGuard(tokens);
        }
    }

    @State(Scope.Thread)
    public static class Cursor {
        int next;

        int next(int n) {
            next = next + 1 == n ? 0 : next + 1;
            return next;
        }
    }

    @Benchmark
    public VerificationResult verifyCached(Keeper k, Cursor c) {
        return k.keeper.tokens().verify(k.secrets[c.next(k.tokens)]);
    }

    @Benchmark
    public boolean compositeGuard(Guard g, Cursor c) {
        return g.guard.admit(g.guard.secrets[c.next(g.tokens)], 1, Long.MAX_VALUE / 2);
    }
}
