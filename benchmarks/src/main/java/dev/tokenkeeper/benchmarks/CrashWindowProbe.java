package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.UsageEvent;
import dev.tokenkeeper.usage.UsageQuery;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures what a {@code SIGKILL} loses: a child JVM records usage events at a steady rate into an
 * SQLite file and reports, every millisecond, how many {@code record} calls have returned and what
 * its {@code stats()} say is not yet durable; the parent kills it with {@code SIGKILL} after a
 * warm-up, opens the file, and counts the acknowledged events that are not in it.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.tokenkeeper.benchmarks.CrashWindowProbe [rate/s] [seconds] [runs] [maxLagMillis]
 * </pre>
 */
public final class CrashWindowProbe {
    private CrashWindowProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(Path.of(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]));
            return;
        }
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 40_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        long maxLag = args.length > 3 ? Long.parseLong(args[3]) : 0;
        System.out.printf(
                "rate %,d events/s, killed after %d s, ledgerMaxLag %s%n",
                rate, seconds, maxLag > 0 ? maxLag + " ms" : "none");
        for (int run = 1; run <= runs; run++) {
            Path dir = Files.createTempDirectory("tk-crash");
            Path db = dir.resolve("crash.db");
            Process p = new ProcessBuilder(
                            javaBin(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            CrashWindowProbe.class.getName(),
                            "child",
                            db.toString(),
                            Integer.toString(rate),
                            Long.toString(maxLag))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            long acked = 0;
            long unwritten = 0;
            long lag = 0;
            long started = 0;
            long deadline = Long.MAX_VALUE;
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    String[] f = line.split(" ", -1);
                    acked = Long.parseLong(f[0]);
                    unwritten = Long.parseLong(f[1]);
                    lag = Long.parseLong(f[2]);
                    if (started == 0) { // the child is recording: the run's time starts now
                        started = System.nanoTime();
                        deadline = started + TimeUnit.SECONDS.toNanos(seconds);
                    }
                    if (System.nanoTime() > deadline) {
                        p.destroyForcibly(); // SIGKILL on Linux and macOS: no shutdown hook runs
                        break;
                    }
                }
            }
            p.waitFor();
            long stored;
            try (TokenKeeper k =
                    TokenKeeper.builder().sqliteFile(db).shutdownHook(false).build()) {
                stored = k.usage()
                        .totals(UsageQuery.builder(
                                        "probe",
                                        Instant.now().minus(Duration.ofDays(1)),
                                        Instant.now().plus(Duration.ofDays(1)))
                                .build())
                        .requests();
            }
            long lost = acked - stored;
            double achieved = acked / ((System.nanoTime() - started) / 1e9);
            System.out.printf(
                    "run %d: recorded at %,.0f/s; acknowledged >= %,d, stored %,d, lost >= %,d"
                            + " (%.0f ms of traffic); stats() last reported %,d unwritten, lag %d ms%n",
                    run, achieved, acked, stored, lost, lost * 1000.0 / achieved, unwritten, lag);
            deleteAll(dir);
        }
    }

    private static void child(Path db, int rate, long maxLagMillis) {
        TokenKeeper.Builder b = TokenKeeper.builder().sqliteFile(db).shutdownHook(false);
        if (maxLagMillis > 0) {
            b.ledgerMaxLag(Duration.ofMillis(maxLagMillis));
        }
        TokenKeeper keeper = b.build();
        keeper.tenants().ensure("probe", "Crash probe");
        AtomicLong acked = new AtomicLong();
        Thread reporter = new Thread(() -> {
            while (true) {
                var stats = keeper.usage().stats();
                System.out.println(acked.get() + " " + stats.unwritten() + " "
                        + stats.lag().toMillis());
                System.out.flush();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        reporter.setDaemon(true);
        reporter.start();
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        for (long i = 0; ; i++) {
            while (System.nanoTime() < next) {
                Thread.onSpinWait();
            }
            next += interval;
            keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId("r-" + i)
                            .tenant("probe")
                            .provider("anthropic")
                            .model("claude-haiku-4-5")
                            .counts(TokenCounts.of(100, 20))
                            .build());
            acked.incrementAndGet();
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void deleteAll(Path dir) throws Exception {
        List<Path> paths = new ArrayList<>();
        try (var s = Files.walk(dir)) {
            s.forEach(paths::add);
        }
        for (int i = paths.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(paths.get(i));
        }
    }
}
