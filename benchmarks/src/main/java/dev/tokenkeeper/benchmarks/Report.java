package dev.tokenkeeper.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Turns the JSON results of {@code benchmarks/run.sh} (one file per round, each round one fork of
 * every benchmark of the published set) into the table docs/performance.md publishes: for each
 * figure, the median over the rounds and their range, and its ratio to the yardstick it is divided
 * by, computed round by round (figures a few minutes apart) before the median is taken.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.tokenkeeper.benchmarks.Report round-*.json
 * </pre>
 */
public final class Report {
    /** A figure of the set and the yardstick it is divided by ({@code null}: shown without a ratio). */
    record Figure(String benchmark, String metric, @Nullable String yardstick, String yardstickMetric) {}

    static final String B = "BaselineBenchmark.";
    static final List<Figure> FIGURES = List.of(
            new Figure(B + "sha256", "mean", null, ""),
            new Figure(B + "caffeineHit", "mean", null, ""),
            new Figure(B + "compositeGuard", "mean", null, ""),
            new Figure(B + "compositeGuardTwoThreads", "mean", null, ""),
            new Figure(B + "compositeGuardBurst", "mean", null, ""),
            new Figure(B + "compositeGuardBurstTwoThreads", "mean", null, ""),
            new Figure("TokenVerifyBenchmark.verifyCached", "mean", B + "compositeGuard", "mean"),
            new Figure("TokenVerifyBenchmark.verifyCachedTwoThreads", "mean", B + "compositeGuardTwoThreads", "mean"),
            new Figure("TokenVerifyBenchmark.rejectMalformed", "mean", B + "sha256", "mean"),
            new Figure("AdmissionBenchmark.authorizeRelease", "mean", B + "compositeGuard", "mean"),
            new Figure("AdmissionBenchmark.authorizeCompleteBurst", "mean", B + "compositeGuardBurst", "mean"),
            new Figure("AdmissionBenchmark.authorizeCompleteBurst", "median", B + "compositeGuardBurst", "median"),
            new Figure(
                    "AdmissionBenchmark.authorizeCompleteBurstTwoThreads",
                    "mean",
                    B + "compositeGuardBurstTwoThreads",
                    "mean"),
            new Figure("RateLimitBenchmark.checkRequest", "mean", B + "compositeGuard", "mean"),
            new Figure("FilterBenchmark.filtered", "mean", B + "compositeGuard", "mean"),
            new Figure("TokenTailBenchmark.compositeGuard", "p50", null, ""),
            new Figure("TokenTailBenchmark.compositeGuard", "p99", null, ""),
            new Figure("TokenTailBenchmark.compositeGuard", "p99.9", null, ""),
            new Figure("TokenTailBenchmark.verifyCached", "p50", "TokenTailBenchmark.compositeGuard", "p50"),
            new Figure("TokenTailBenchmark.verifyCached", "p99", "TokenTailBenchmark.compositeGuard", "p99"),
            new Figure("TokenTailBenchmark.verifyCached", "p99.9", "TokenTailBenchmark.compositeGuard", "p99.9"));

    private Report() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: Report round-1.json [round-2.json ...]");
            System.exit(2);
        }
        ObjectMapper json = new ObjectMapper();
        List<Map<String, JsonNode>> rounds = new ArrayList<>();
        for (String a : args) {
            Map<String, JsonNode> byName = new LinkedHashMap<>();
            for (JsonNode b : json.readTree(Path.of(a).toFile())) {
                String name = b.get("benchmark").asText();
                byName.put(shortName(name), b);
            }
            rounds.add(byName);
        }
        System.out.printf(
                Locale.ROOT,
                "%d rounds (one fork each). Median over the rounds [lowest – highest]; ns per operation.%n%n",
                rounds.size());
        System.out.println("| Benchmark | Figure | ns | Yardstick | Ratio |");
        System.out.println("|---|---|---|---|---|");
        for (Figure f : FIGURES) {
            double[] values = values(rounds, f.benchmark(), f.metric());
            if (values.length == 0) {
                continue;
            }
            String ratio = "";
            String yardstick = "";
            if (f.yardstick() != null) {
                List<Double> ratios = new ArrayList<>();
                for (int i = 0; i < rounds.size(); i++) {
                    double v = value(rounds.get(i), f.benchmark(), f.metric());
                    double y = value(rounds.get(i), f.yardstick(), f.yardstickMetric());
                    if (!Double.isNaN(v) && !Double.isNaN(y)) {
                        ratios.add(v / y);
                    }
                }
                if (!ratios.isEmpty()) {
                    double[] r =
                            ratios.stream().mapToDouble(Double::doubleValue).toArray();
                    yardstick = "`" + f.yardstick() + "` " + f.yardstickMetric();
                    ratio = String.format(Locale.ROOT, "**%.2f×** [%.2f – %.2f]", median(r), min(r), max(r));
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "| `%s` | %s | %s [%s – %s] | %s | %s |%n",
                    f.benchmark(),
                    f.metric(),
                    format(median(values)),
                    format(min(values)),
                    format(max(values)),
                    yardstick,
                    ratio);
        }
    }

    private static double[] values(List<Map<String, JsonNode>> rounds, String benchmark, String metric) {
        return rounds.stream()
                .mapToDouble(r -> value(r, benchmark, metric))
                .filter(v -> !Double.isNaN(v))
                .toArray();
    }

    /**
     * One round's figure: {@code mean} is JMH's score; {@code median} the median of the iterations
     * (for bursts: of the bursts); {@code pNN} a percentile of a sample-mode run.
     */
    static double value(Map<String, JsonNode> round, String benchmark, String metric) {
        JsonNode b = round.get(benchmark);
        if (b == null) {
            return Double.NaN;
        }
        JsonNode m = b.get("primaryMetric");
        java.util.function.DoubleUnaryOperator nanos =
                nanosPerOp(m.get("scoreUnit").asText());
        return switch (metric) {
            case "mean" -> nanos.applyAsDouble(m.get("score").asDouble());
            case "median" -> {
                List<Double> all = new ArrayList<>();
                for (JsonNode fork : m.get("rawData")) {
                    for (JsonNode v : fork) {
                        all.add(v.asDouble());
                    }
                }
                yield nanos.applyAsDouble(
                        median(all.stream().mapToDouble(Double::doubleValue).toArray()));
            }
            default -> {
                String p = metric.substring(1);
                JsonNode percentiles = m.get("scorePercentiles");
                JsonNode v = percentiles == null ? null : percentiles.get(p.contains(".") ? p : p + ".0");
                yield v == null ? Double.NaN : nanos.applyAsDouble(v.asDouble());
            }
        };
    }

    /**
     * Turns a figure in JMH's {@code unit} into nanoseconds per operation: a time per operation is
     * scaled, a throughput inverted (the median of a throughput's iterations inverts to the median of
     * their times, the inversion being monotonic).
     */
    static java.util.function.DoubleUnaryOperator nanosPerOp(String unit) {
        return switch (unit) {
            case "ns/op" -> v -> v;
            case "us/op" -> v -> v * 1_000;
            case "ms/op" -> v -> v * 1_000_000;
            case "s/op" -> v -> v * 1_000_000_000;
            case "ops/ns" -> v -> 1 / v;
            case "ops/us" -> v -> 1_000 / v;
            case "ops/ms" -> v -> 1_000_000 / v;
            case "ops/s" -> v -> 1_000_000_000 / v;
            default -> throw new IllegalArgumentException("unit " + unit);
        };
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** {@code Class.method} of a benchmark's full name. */
    static String shortName(String benchmark) {
        return benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static String format(double ns) {
        return String.format(Locale.ROOT, ns >= 100 ? "%,.0f" : "%.1f", ns);
    }
}
