package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.internal.tokens.DefaultTokenService;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The token hot paths on the embedded SQLite default, with 1,000 active tokens.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar TokenVerifyBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH})
public class TokenVerifyBenchmark {
    static final int TOKENS = 1000;

    @State(Scope.Benchmark)
    public static class Keeper {
        Path dir;
        TokenKeeper keeper;
        DefaultTokenService tokens;
        String[] secrets = new String[TOKENS];
        String malformed;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("tk-bench");
            keeper = TokenKeeper.builder()
                    .sqliteFile(dir.resolve("bench.db"))
                    // keep the failure-audit write of the malformed benchmark out of the measurement window
                    .failureAuditWindow(Duration.ofHours(1))
                    .build();
            keeper.tenants().ensure("bench", "Benchmark");
            for (int i = 0; i < TOKENS; i++) {
                secrets[i] = keeper.tokens()
                        .issue(TokenSpec.builder()
                                .tenant("bench")
                                .name("t" + i)
                                .role(Role.AGENT)
                                .build())
                        .secret();
                keeper.tokens().verify(secrets[i]);
            }
            tokens = (DefaultTokenService) keeper.tokens();
            String s = secrets[0];
            char last = s.charAt(s.length() - 1);
            // right prefix, length and alphabet; wrong checksum: the most work a malformed secret costs
            malformed = s.substring(0, s.length() - 1) + (last == 'a' ? 'b' : 'a');
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            keeper.close();
            TempDir.delete(dir);
        }
    }

    @State(Scope.Thread)
    public static class Cursor {
        int next;

        String secret(Keeper k) {
            next = (next + 1) % TOKENS;
            return k.secrets[next];
        }
    }

    @Benchmark
    @Threads(1)
    public VerificationResult verifyCached(Keeper k, Cursor c) {
        return k.keeper.tokens().verify(c.secret(k));
    }

    @Benchmark
    @Threads(2)
    public VerificationResult verifyCachedTwoThreads(Keeper k, Cursor c) {
        return k.keeper.tokens().verify(c.secret(k));
    }

    /** Evicts the token, then verifies it: hash, two indexed SQLite reads, state build. */
    @Benchmark
    @Threads(1)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public VerificationResult verifyUncached(Keeper k, Cursor c) {
        String secret = c.secret(k);
        k.tokens.forget(secret);
        return k.keeper.tokens().verify(secret);
    }

    @Benchmark
    @Threads(1)
    public VerificationResult rejectMalformed(Keeper k) {
        return k.keeper.tokens().verify(k.malformed);
    }

    @Benchmark
    @Threads(1)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object issue(Keeper k) {
        return k.keeper
                .tokens()
                .issue(TokenSpec.builder().tenant("bench").name("issued").build());
    }
}
