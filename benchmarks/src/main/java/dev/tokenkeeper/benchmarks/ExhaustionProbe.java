package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.usage.UsageEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Admissions near exhaustion across instances: two {@code TokenKeeper} instances on one (embedded)
 * PostgreSQL with shared, leased budgets, 8 threads each, calling against a budget with room for
 * only 5 calls at a time. Each permitted call is held for 1 ms, then released (it uses nothing), so
 * the window stays at the edge of exhaustion for the whole run: permits and refusals interleave, and
 * every instance reserves each call exactly. Prints the latency of {@code authorize} for permits and
 * for refusals (p50, p99, max), the permits each instance got, and checks that the calls held at once
 * never exceeded the room.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.tokenkeeper.benchmarks.ExhaustionProbe [seconds] [runs]
 * </pre>
 */
public final class ExhaustionProbe {
    static final int THREADS_PER_INSTANCE = 8;
    static final long BUDGET = 20_000;
    static final long USED_BEFORE = 15_000;
    static final long PER_CALL = 1_000; // 500 in + 500 out: 5 calls fit in the room left

    private ExhaustionProbe() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            try (var c = pg.getPostgresDatabase().getConnection();
                    var st = c.createStatement();
                    var rs =
                            st.executeQuery("SELECT current_setting('fsync'), current_setting('synchronous_commit')")) {
                rs.next();
                System.out.printf("PostgreSQL fsync=%s synchronous_commit=%s%n", rs.getString(1), rs.getString(2));
            }
            for (int run = 1; run <= runs; run++) {
                run(pg, "probe" + run, seconds, run);
            }
        }
    }

    private static void run(EmbeddedPostgres pg, String tenant, int seconds, int run) throws Exception {
        TokenKeeper[] keepers = new TokenKeeper[2];
        for (int i = 0; i < 2; i++) {
            keepers[i] = TokenKeeper.builder()
                    .shutdownHook(false)
                    .jdbcUrl(pg.getJdbcUrl("postgres", "postgres"), "postgres", null)
                    .maximumPoolSize(12)
                    .build();
        }
        TokenKeeper k = keepers[0];
        k.tenants().ensure(tenant, "Exhaustion probe");
        String secret = k.tokens()
                .issue(TokenSpec.builder().tenant(tenant).name("agent").build())
                .secret();
        k.limits()
                .create(LimitSpec.builder(tenant)
                        .name("nearly spent")
                        .tokens(BUDGET)
                        .period(LimitPeriod.MONTH)
                        .build());
        k.usage()
                .record(UsageEvent.builder()
                        .requestId("before")
                        .tenant(tenant)
                        .provider("anthropic")
                        .model("claude-haiku-4-5")
                        .counts(TokenCounts.of(USED_BEFORE, 0))
                        .build());
        k.usage().flush();
        CallRequest call = CallRequest.of("anthropic", "claude-haiku-4-5", 500, 500);
        for (TokenKeeper each : keepers) { // warm the token and limit caches
            Admission a = each.authorize(secret, call);
            if (a instanceof Permit p) {
                p.release();
            }
        }
        AtomicInteger held = new AtomicInteger();
        AtomicInteger maxHeld = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<long[]> permits = new ArrayList<>();
        List<long[]> refusals = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        int[][] counts = new int[2 * THREADS_PER_INSTANCE][2];
        for (int t = 0; t < 2 * THREADS_PER_INSTANCE; t++) {
            TokenKeeper keeper = keepers[t % 2];
            long[] ok = new long[2_000_000];
            long[] no = new long[2_000_000];
            permits.add(ok);
            refusals.add(no);
            int[] c = counts[t];
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                while (System.nanoTime() < end && c[0] < ok.length && c[1] < no.length) {
                    long t0 = System.nanoTime();
                    Admission a = keeper.authorize(secret, call);
                    long took = System.nanoTime() - t0;
                    if (a instanceof Permit p) {
                        ok[c[0]++] = took;
                        maxHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                        LockSupport.parkNanos(1_000_000); // the call
                        held.decrementAndGet();
                        p.release();
                    } else {
                        no[c[1]++] = took;
                    }
                }
            });
            threads.add(th);
            th.start();
        }
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        for (TokenKeeper each : keepers) {
            each.close();
        }
        long[] byInstance = new long[2];
        for (int t = 0; t < counts.length; t++) {
            byInstance[t % 2] += counts[t][0];
        }
        System.out.printf(
                "run %d, %d s, 2 instances x %d threads: permits %s (instance A %,d, B %,d); refusals %s;"
                        + " most calls held at once %d (room for %d)%n",
                run,
                seconds,
                THREADS_PER_INSTANCE,
                summary(permits, counts, 0),
                byInstance[0],
                byInstance[1],
                summary(refusals, counts, 1),
                maxHeld.get(),
                (BUDGET - USED_BEFORE) / PER_CALL);
    }

    private static String summary(List<long[]> samples, int[][] counts, int which) {
        int n = 0;
        for (int[] c : counts) {
            n += c[which];
        }
        long[] all = new long[n];
        int at = 0;
        for (int t = 0; t < samples.size(); t++) {
            System.arraycopy(samples.get(t), 0, all, at, counts[t][which]);
            at += counts[t][which];
        }
        Arrays.sort(all);
        if (n == 0) {
            return "none";
        }
        return String.format(
                "%,d, p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                n, all[n / 2] / 1e6, all[Math.min(n - 1, (int) (n * 0.99))] / 1e6, all[n - 1] / 1e6);
    }
}
