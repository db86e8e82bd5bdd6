package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.Granularity;
import dev.tokenkeeper.usage.UsageDimension;
import dev.tokenkeeper.usage.UsageQuery;
import java.io.IOException;
import java.time.ZoneId;
import java.time.ZoneOffset;
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
 * The analytics and trace queries over the {@link LedgerDataset} (10 million events over 30 days
 * unless {@code -Dtk.events} says otherwise), built on first use.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar LedgerQueryBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH, "-Dtk.events=10000000"})
@State(Scope.Benchmark)
public class LedgerQueryBenchmark {
    @Param({"sqlite", "postgresql"})
    public String backend;

    LedgerDataset dataset;
    TokenKeeper keeper;
    UsageQuery month;
    UsageQuery monthOfOneToken;
    TraceQuery traces;
    TraceQuery tracesOfOneToken;
    final ZoneId berlin = ZoneId.of("Europe/Berlin");

    @Setup(Level.Trial)
    public void open() throws IOException {
        dataset = LedgerDataset.open(backend);
        keeper = dataset.keeper;
        month = UsageQuery.builder(LedgerDataset.TENANT, LedgerDataset.START, LedgerDataset.END)
                .build();
        monthOfOneToken = UsageQuery.builder(LedgerDataset.TENANT, LedgerDataset.START, LedgerDataset.END)
                .token("tok-42")
                .build();
        traces = TraceQuery.builder(LedgerDataset.TENANT).limit(50).build();
        tracesOfOneToken = TraceQuery.builder(LedgerDataset.TENANT)
                .token("tok-42")
                .limit(50)
                .build();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        dataset.close();
    }

    /** The 30-day usage summary of the tenant. */
    @Benchmark
    public Object summary30Days() {
        return keeper.usage().totals(month);
    }

    /** The daily series over 30 days, in UTC. */
    @Benchmark
    public Object dailySeries30Days() {
        return keeper.usage().series(month, Granularity.DAY, ZoneOffset.UTC);
    }

    /** The same in a zone with daylight saving. */
    @Benchmark
    public Object dailySeries30DaysBerlin() {
        return keeper.usage().series(month, Granularity.DAY, berlin);
    }

    /** One token's daily series over 30 days (the per-token dimension index). */
    @Benchmark
    public Object dailySeries30DaysOneToken() {
        return keeper.usage().series(monthOfOneToken, Granularity.DAY, ZoneOffset.UTC);
    }

    /** Cost per model over 30 days: every dimensional roll-up row of the month. */
    @Benchmark
    public Object breakdownByModel30Days() {
        return keeper.usage().breakdown(month, UsageDimension.MODEL, 20);
    }

    /** Top 10 tokens by cost over 30 days. */
    @Benchmark
    public Object topTokens30Days() {
        return keeper.usage().breakdown(month, UsageDimension.TOKEN, 10);
    }

    /** The newest page of 50 traces. */
    @Benchmark
    public Object tracePage() {
        return keeper.traces().list(traces);
    }

    /** The newest page of 50 traces of one token among 500. */
    @Benchmark
    public Object tracePageOneToken() {
        return keeper.traces().list(tracesOfOneToken);
    }
}
