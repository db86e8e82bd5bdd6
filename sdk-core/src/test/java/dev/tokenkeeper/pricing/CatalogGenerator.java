package dev.tokenkeeper.pricing;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds the bundled catalog ({@code catalog.json}) from the pinned {@link GenaiPrices} dataset and the reviewed
 * decisions in {@code pricing/review.json}: which dataset models are left out and why, canonical ids and aliases,
 * and the prices corrected or added from other sources, each with its reason. The output is deterministic, so
 * the bundled file can be compared with a fresh generation byte for byte.
 */
final class CatalogGenerator {
    static final Path DATASET = Path.of("src/test/resources/pricing/genai-prices");
    static final Path REVIEW = Path.of("src/test/resources/pricing/review.json");
    static final Path BUNDLED = Path.of("src/main/resources/dev/tokenkeeper/pricing/catalog.json");

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final String EPOCH = "1970-01-01T00:00:00Z";

    /** The review file, read. */
    record Review(
            JsonNode root,
            List<String> providers,
            Set<String> ignoredFields,
            Map<String, String> excluded,
            Map<String, String> ids,
            Map<String, List<String>> aliases,
            Map<String, String> aliasReasons,
            Map<String, Set<String>> notAliases,
            Set<String> inputOnly,
            Map<String, JsonNode> corrections,
            List<JsonNode> additions) {

        static Review read(Path file) {
            try {
                JsonNode r = JSON.readTree(Files.readString(file));
                List<String> providers = new ArrayList<>();
                r.path("providers").forEach(p -> providers.add(p.asText()));
                Set<String> ignored = new HashSet<>();
                r.path("ignored_fields").fieldNames().forEachRemaining(ignored::add);
                Map<String, String> excluded = new LinkedHashMap<>();
                for (JsonNode group : r.path("exclude")) {
                    String reason = required(group, "reason");
                    group.path("models").forEach(m -> {
                        if (excluded.put(m.asText(), reason) != null) {
                            throw new IllegalStateException("review: " + m.asText() + " excluded twice");
                        }
                    });
                }
                Map<String, String> ids = new HashMap<>();
                r.path("ids")
                        .properties()
                        .forEach(e -> ids.put(e.getKey(), e.getValue().asText()));
                Map<String, List<String>> aliases = new HashMap<>();
                Map<String, String> aliasReasons = new HashMap<>();
                for (JsonNode a : r.path("aliases")) {
                    String model = required(a, "model");
                    String reason = required(a, "reason");
                    for (JsonNode n : a.path("names")) {
                        String name = n.asText().toLowerCase(Locale.ROOT);
                        aliases.computeIfAbsent(model, k -> new ArrayList<>()).add(name);
                        aliasReasons.put(model.substring(0, model.indexOf('/')) + "/" + name, reason);
                    }
                }
                Map<String, Set<String>> notAliases = new HashMap<>();
                for (JsonNode a : r.path("not_aliases")) {
                    required(a, "reason");
                    a.path("names")
                            .forEach(n -> notAliases
                                    .computeIfAbsent(required(a, "model"), k -> new HashSet<>())
                                    .add(n.asText().toLowerCase(Locale.ROOT)));
                }
                Set<String> inputOnly = new HashSet<>();
                for (JsonNode group : r.path("input_only")) {
                    required(group, "reason");
                    group.path("models").forEach(m -> inputOnly.add(m.asText()));
                }
                Map<String, JsonNode> corrections = new LinkedHashMap<>();
                for (JsonNode c : r.path("corrections")) {
                    required(c, "reason");
                    corrections.put(required(c, "model"), c);
                }
                List<JsonNode> additions = new ArrayList<>();
                for (JsonNode a : r.path("additions")) {
                    required(a, "reason");
                    additions.add(a);
                }
                return new Review(
                        r,
                        providers,
                        ignored,
                        excluded,
                        ids,
                        aliases,
                        aliasReasons,
                        notAliases,
                        inputOnly,
                        corrections,
                        additions);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String commit() {
            return root.path("dataset").path("commit").asText();
        }

        LocalDate datasetDate() {
            return LocalDate.parse(root.path("dataset").path("date").asText());
        }

        /** The catalog id of a dataset model. */
        String idOf(String provider, GenaiPrices.Model m) {
            return ids.getOrDefault(provider + "/" + m.id(), m.id().toLowerCase(Locale.ROOT));
        }

        private static String required(JsonNode n, String field) {
            String v = n.path(field).asText("");
            if (v.isBlank()) {
                throw new IllegalStateException("review: \"" + field + "\" is required in " + n);
            }
            return v;
        }
    }

    private CatalogGenerator() {}

    /** The catalog text the dataset and the review give. */
    static String generate(Path dataset, Path reviewFile) {
        Review review = Review.read(reviewFile);
        GenaiPrices data = GenaiPrices.read(dataset, review.providers());
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("format", 1);
        root.put("note", review.root().path("note").asText());
        ObjectNode ds = root.putObject("dataset");
        review.root().path("dataset").properties().forEach(e -> ds.set(e.getKey(), e.getValue()));
        ArrayNode models = root.putArray("models");
        Set<String> seen = new HashSet<>();
        Set<String> used = new HashSet<>();
        for (GenaiPrices.Provider p : data.providers()) {
            for (GenaiPrices.Model m : p.models()) {
                String key = p.id() + "/" + m.id();
                if (review.excluded().containsKey(key)) {
                    used.add(key);
                    continue;
                }
                String id = review.idOf(p.id(), m);
                Set<String> aliases = new TreeSet<>(m.exactNames());
                aliases.addAll(review.aliases().getOrDefault(key, List.of()));
                aliases.removeAll(review.notAliases().getOrDefault(key, Set.of()));
                aliases.remove(id);
                ObjectNode out = models.addObject();
                out.put("provider", p.id());
                out.put("model", id);
                ArrayNode a = out.putArray("aliases");
                aliases.forEach(a::add);
                JsonNode correction = review.corrections().get(key);
                if (correction != null) {
                    out.put("note", correction.path("reason").asText());
                    out.set("prices", correction.path("prices"));
                } else {
                    String source = p.pricingUrls().get(0) + " (via pydantic/genai-prices@"
                            + review.commit().substring(0, 8) + ")";
                    String checked = (m.checked() != null ? m.checked() : review.datasetDate()).toString();
                    ArrayNode prices = out.putArray("prices");
                    for (GenaiPrices.Step s : m.steps()) {
                        prices.add(step(key, s, review, source, checked));
                    }
                }
                claim(seen, p.id(), id, key);
                aliases.forEach(alias -> claim(seen, p.id(), alias, key));
            }
            for (JsonNode add : review.additions()) {
                if (add.path("provider").asText().equals(p.id())) {
                    ObjectNode out = models.addObject();
                    out.put("provider", p.id());
                    out.put("model", add.path("model").asText());
                    out.set("aliases", add.path("aliases").isArray() ? add.path("aliases") : f.arrayNode());
                    out.put("note", add.path("reason").asText());
                    out.set("prices", add.path("prices"));
                    claim(seen, p.id(), add.path("model").asText(), "addition");
                    add.path("aliases").forEach(alias -> claim(seen, p.id(), alias.asText(), "addition"));
                }
            }
        }
        for (String key : review.excluded().keySet()) {
            if (!used.contains(key)) {
                throw new IllegalStateException("review: " + key + " is excluded but not in the dataset");
            }
        }
        for (String key : review.corrections().keySet()) {
            if (review.excluded().containsKey(key)) {
                throw new IllegalStateException("review: " + key + " is both excluded and corrected");
            }
        }
        return print(root);
    }

    /**
     * The Markdown table of every model of a generated catalog, for {@code docs/pricing.md}: one row per price
     * step, USD per million tokens.
     */
    static String markdownTable(String catalogJson) {
        try {
            JsonNode root = JSON.readTree(catalogJson);
            StringBuilder b = new StringBuilder();
            b.append("| Provider | Model | Also answers to | From | Input | Cached input | Cache write | Output |"
                    + " Above (input tokens): input / cached / write / output | Checked |\n");
            b.append("|---|---|---|---|---|---|---|---|---|---|\n");
            for (JsonNode m : root.path("models")) {
                List<String> aliases = new ArrayList<>();
                m.path("aliases").forEach(a -> aliases.add("`" + a.asText() + "`"));
                boolean first = true;
                for (JsonNode p : m.path("prices")) {
                    String from = p.path("effective_from").asText();
                    JsonNode lc = p.path("long_context");
                    b.append("| ")
                            .append(first ? m.path("provider").asText() : "")
                            .append(" | ")
                            .append(first ? "`" + m.path("model").asText() + "`" : "")
                            .append(" | ")
                            .append(first ? String.join(", ", aliases) : "")
                            .append(" | ")
                            .append(from.equals(EPOCH) ? "" : from.substring(0, 10))
                            .append(" | ")
                            .append(p.path("input").asText())
                            .append(" | ")
                            .append(p.path("cached_input").asText())
                            .append(" | ")
                            .append(p.path("cache_write").asText())
                            .append(" | ")
                            .append(p.path("output").asText())
                            .append(" | ")
                            .append(
                                    lc.isMissingNode()
                                            ? ""
                                            : String.format(
                                                    Locale.ROOT,
                                                    "%,d: %s / %s / %s / %s",
                                                    lc.path("above_input_tokens")
                                                            .asLong(),
                                                    lc.path("input").asText(),
                                                    lc.path("cached_input").asText(),
                                                    lc.path("cache_write").asText(),
                                                    lc.path("output").asText()))
                            .append(" | ")
                            .append(p.path("checked_on").asText())
                            .append(" |\n");
                    first = false;
                }
            }
            return b.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void claim(Set<String> seen, String provider, String name, String by) {
        if (!seen.add(provider + "/" + name.toLowerCase(Locale.ROOT))) {
            throw new IllegalStateException("two catalog models answer to " + provider + "/" + name + " (" + by + ")");
        }
    }

    private static ObjectNode step(String key, GenaiPrices.Step s, Review review, String source, String checked) {
        if (s.otherConstraint() != null) {
            throw new IllegalStateException(key + ": a price constraint TokenKeeper cannot express: "
                    + s.otherConstraint() + " (exclude or correct the model in the review)");
        }
        for (String field : s.prices().keySet()) {
            if (!GenaiPrices.MAPPED.contains(field) && !review.ignoredFields().contains(field)) {
                throw new IllegalStateException(key + ": price field " + field
                        + " has no TokenKeeper rate (exclude the model, or list the field as ignored with a reason)");
            }
        }
        Map<String, GenaiPrices.Price> p = s.prices();
        GenaiPrices.Price input = p.get("input_mtok");
        if (input == null) {
            throw new IllegalStateException(key + ": no input price");
        }
        GenaiPrices.Price output = p.get("output_mtok");
        if (output == null && !review.inputOnly().contains(key)) {
            throw new IllegalStateException(key + ": no output price (list it under input_only if it has no output)");
        }
        GenaiPrices.Price zero = new GenaiPrices.Price(BigDecimal.ZERO, List.of());
        GenaiPrices.Price cached = p.getOrDefault("cache_read_mtok", input);
        GenaiPrices.Price write = p.getOrDefault("cache_write_mtok", input);
        GenaiPrices.Price out = output != null ? output : zero;
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put(
                "effective_from",
                s.startDate() == null
                        ? EPOCH
                        : s.startDate().atStartOfDay(ZoneOffset.UTC).toInstant().toString());
        n.put("input", money(input.base()));
        n.put("cached_input", money(cached.base()));
        n.put("cache_write", money(write.base()));
        n.put("output", money(out.base()));
        Set<Long> starts = new LinkedHashSet<>();
        for (GenaiPrices.Price price : List.of(input, cached, write, out)) {
            if (price.tiers().size() > 1) {
                throw new IllegalStateException(key + ": more than one long-context tier");
            }
            price.tiers().forEach(t -> starts.add(t.start()));
        }
        if (starts.size() > 1) {
            throw new IllegalStateException(key + ": tiers at different thresholds " + starts);
        }
        if (starts.size() == 1) {
            ObjectNode lc = n.putObject("long_context");
            lc.put("above_input_tokens", starts.iterator().next());
            lc.put("input", money(tierOrBase(input)));
            lc.put("cached_input", money(tierOrBase(cached)));
            lc.put("cache_write", money(tierOrBase(write)));
            lc.put("output", money(tierOrBase(out)));
        }
        n.put("source", source);
        n.put("checked_on", checked);
        return n;
    }

    private static BigDecimal tierOrBase(GenaiPrices.Price p) {
        return p.tiers().isEmpty() ? p.base() : p.tiers().get(0).price();
    }

    static String money(BigDecimal v) {
        return v.signum() == 0 ? "0" : v.stripTrailingZeros().toPlainString();
    }

    private static String print(JsonNode root) {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(
                        Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return JSON.writer(printer).writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
