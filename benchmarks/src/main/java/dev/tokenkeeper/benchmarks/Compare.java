package dev.tokenkeeper.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compares two builds from the JSON results of {@code benchmarks/compare.sh}: pair {@code N} is one
 * fork of each build ({@code a-N.json}, {@code b-N.json}), run one after the other. For each
 * benchmark in both, prints each build's median over the pairs with its range, and the median and
 * range of the per-pair ratio B / A, which divides figures measured a minute apart and so leaves
 * out most of the machine's drift.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.tokenkeeper.benchmarks.Compare benchmarks/target/compare
 * </pre>
 */
public final class Compare {
    private Compare() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Compare DIRECTORY   (holding a-1.json, b-1.json, a-2.json, ...)");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        List<Map<String, JsonNode>> a = new ArrayList<>();
        List<Map<String, JsonNode>> b = new ArrayList<>();
        for (int n = 1;
                Files.exists(dir.resolve("a-" + n + ".json")) && Files.exists(dir.resolve("b-" + n + ".json"));
                n++) {
            a.add(read(dir.resolve("a-" + n + ".json")));
            b.add(read(dir.resolve("b-" + n + ".json")));
        }
        if (a.isEmpty()) {
            System.err.println("no pair of results (a-1.json and b-1.json) in " + dir);
            System.exit(1);
        }
        System.out.printf(
                Locale.ROOT,
                "%d pairs (one fork of each build per pair). Median over the pairs [lowest – highest]; ns per"
                        + " operation. B / A: the ratio within each pair.%n%n",
                a.size());
        System.out.println("| Benchmark | Figure | A | B | B / A |");
        System.out.println("|---|---|---|---|---|");
        TreeSet<String> names = new TreeSet<>(a.get(0).keySet());
        names.retainAll(b.get(0).keySet());
        for (String name : names) {
            boolean bursts = "ss".equals(a.get(0).get(name).get("mode").asText());
            for (String metric : bursts ? List.of("mean", "median") : List.of("mean")) {
                row(name, metric, a, b);
            }
        }
    }

    private static void row(String name, String metric, List<Map<String, JsonNode>> a, List<Map<String, JsonNode>> b) {
        List<Double> av = new ArrayList<>();
        List<Double> bv = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            double x = Report.value(a.get(i), name, metric);
            double y = Report.value(b.get(i), name, metric);
            if (!Double.isNaN(x) && !Double.isNaN(y)) {
                av.add(x);
                bv.add(y);
                ratios.add(y / x);
            }
        }
        if (ratios.isEmpty()) {
            return;
        }
        System.out.printf(Locale.ROOT, "| `%s` | %s | %s | %s | %s |%n", name, metric, ns(av), ns(bv), ratio(ratios));
    }

    private static Map<String, JsonNode> read(Path file) throws IOException {
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        for (JsonNode r : new ObjectMapper().readTree(file.toFile())) {
            String name = Report.shortName(r.get("benchmark").asText());
            byName.put(r.has("params") ? name + " " + r.get("params") : name, r);
        }
        return byName;
    }

    private static double[] array(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String ns(List<Double> v) {
        double[] s = array(v);
        return String.format(Locale.ROOT, "%,.1f [%,.1f – %,.1f]", Report.median(s), Report.min(s), Report.max(s));
    }

    private static String ratio(List<Double> v) {
        double[] s = array(v);
        return String.format(Locale.ROOT, "**%.3f** [%.3f – %.3f]", Report.median(s), Report.min(s), Report.max(s));
    }
}
