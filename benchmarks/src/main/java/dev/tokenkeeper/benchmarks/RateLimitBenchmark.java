package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.limits.RateLimitBackend;
import dev.tokenkeeper.tokens.TokenSpec;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import redis.embedded.RedisServer;

/**
 * One request through the servlet filter's check ({@code checkRequest}) on a cached token with one
 * requests-per-minute rate limit (far from exhausted), its bucket in memory, in the keepers'
 * PostgreSQL (embedded) or in Redis (embedded, on loopback).
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar RateLimitBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH})
@State(Scope.Benchmark)
public class RateLimitBenchmark {
    @Param({"local", "postgresql", "redis"})
    public String backend;

    EmbeddedPostgres postgres;
    RedisServer redis;
    TokenKeeper keeper;
    String secret;

    @Setup(Level.Trial)
    public void open() throws IOException {
        postgres = EmbeddedPostgres.builder().start();
        TokenKeeper.Builder b = TokenKeeper.builder()
                .shutdownHook(false)
                .jdbcUrl(postgres.getJdbcUrl("postgres", "postgres"), "postgres", null);
        switch (backend) {
            case "postgresql" -> b.rateLimitBackend(RateLimitBackend.database());
            case "redis" -> {
                int port;
                try (ServerSocket s = new ServerSocket(0)) {
                    port = s.getLocalPort();
                }
                redis = RedisServer.newRedisServer()
                        .port(port)
                        .bind("127.0.0.1")
                        .setting("save \"\"")
                        .build();
                redis.start();
                b.rateLimitBackend(RateLimitBackend.redis("redis://127.0.0.1:" + port));
            }
            default -> b.rateLimitBackend(RateLimitBackend.local());
        }
        keeper = b.build();
        keeper.tenants().ensure("bench", "Benchmark");
        var t = keeper.tokens()
                .issue(TokenSpec.builder().tenant("bench").name("rate").build());
        secret = t.secret();
        keeper.limits()
                .create(LimitSpec.builder("bench")
                        .name("huge rpm")
                        .token(t.info().id())
                        .requests(1_000_000_000L)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        if (keeper.checkRequest(secret, null).denial() != null) {
            throw new IllegalStateException("the warm-up request was refused");
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        keeper.close();
        if (redis != null) {
            redis.stop();
        }
        postgres.close();
    }

    @Benchmark
    @Threads(1)
    public Object checkRequest() {
        return keeper.checkRequest(secret, null);
    }

    @Benchmark
    @Threads(2)
    public Object checkRequestTwoThreads() {
        return keeper.checkRequest(secret, null);
    }
}
