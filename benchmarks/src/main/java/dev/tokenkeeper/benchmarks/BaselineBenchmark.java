package dev.tokenkeeper.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Yardsticks measured in the same run as the product's benchmarks (see {@code benchmarks/run.sh}):
 * SHA-256 of a secret, a Caffeine hit among 1,000 keys, and the {@link CompositeGuard} (those two
 * plus a Bucket4j {@code tryConsume} and a compare-and-set add). docs/performance.md states each
 * product figure as a ratio to these, which carries between machines and days better than
 * nanoseconds do. Each comes in the same modes as the figures it is divided by: average time, and
 * bursts of 10,000 calls timed one by one, on one and on two threads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH})
@State(Scope.Benchmark)
public class BaselineBenchmark {
    static final int BURST = 10_000;

    /**
     * How many keys the calls cycle through: 1,000 in the published set, as many as the admission
     * benchmarks' tokens; fewer (say 20) show what the same work costs when every key's state stays in
     * the core's own caches.
     */
    @Param({"1000"})
    public int keys;

    CompositeGuard guard;
    final Cache<String, Object> cache = Caffeine.newBuilder()
            .executor(Runnable::run)
            .maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(10))
            .build();
    String[] ids;

    @Setup(Level.Trial)
    public void open() {
        guard = new CompositeGuard(keys);
        ids = new String[keys];
        for (int i = 0; i < keys; i++) {
            ids[i] = "tok_" + String.format("%026d", i);
            cache.put(ids[i], new Object());
        }
    }

    @State(Scope.Thread)
    public static class Cursor {
        int next;
        int keys;

        /** Threads start half the keys apart, so that they do not take turns on the same key. */
        @Setup(Level.Trial)
        public void start(ThreadParams thread, BaselineBenchmark b) {
            keys = b.keys;
            next = thread.getThreadIndex() * (keys / 2) % keys;
        }

        int next() {
            next = next + 1 == keys ? 0 : next + 1;
            return next;
        }
    }

    @Benchmark
    public byte[] sha256(Cursor c) {
        return CompositeGuard.hash(guard.secrets[c.next()]);
    }

    @Benchmark
    public Object caffeineHit(Cursor c) {
        return cache.getIfPresent(ids[c.next()]);
    }

    @Benchmark
    public boolean compositeGuard(Cursor c) {
        return guard.admit(guard.secrets[c.next()], 1, Long.MAX_VALUE / 2);
    }

    @Benchmark
    @Threads(2)
    public boolean compositeGuardTwoThreads(Cursor c) {
        return compositeGuard(c);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OperationsPerInvocation(BURST)
    @Warmup(iterations = 100)
    @Measurement(iterations = 200)
    public boolean compositeGuardBurst(Cursor c) {
        boolean all = true;
        for (int i = 0; i < BURST; i++) {
            all &= compositeGuard(c);
        }
        return all;
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.SingleShotTime)
    @OperationsPerInvocation(BURST)
    @Warmup(iterations = 100)
    @Measurement(iterations = 200)
    public boolean compositeGuardBurstTwoThreads(Cursor c) {
        return compositeGuardBurst(c);
    }
}
