package dev.tokenkeeper.pricing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A pinned copy of the open price dataset {@code pydantic/genai-prices} (MIT licence): its provider files
 * ({@code prices/providers/<provider>.yml}), read as that project reads them. Models are found with the
 * dataset's own matching rules: the first model of a provider whose {@code match} clause accepts the
 * lower-cased name ({@code equals}, {@code starts_with}, {@code ends_with}, {@code contains} ignore case;
 * {@code regex} is a search; {@code or}/{@code and} combine).
 */
final class GenaiPrices {
    /** The price fields TokenKeeper maps; anything else in an included model must be reviewed. */
    static final List<String> MAPPED = List.of("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok");

    private static final ObjectMapper YAML =
            new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** One provider file. */
    record Provider(String id, List<String> pricingUrls, List<Model> models) {
        Optional<Model> find(String name) {
            String lower = name.toLowerCase(Locale.ROOT);
            return models.stream().filter(m -> matches(m.match(), lower)).findFirst();
        }
    }

    /** One model: its id, match clause, dated price steps, and when its prices were last checked. */
    record Model(
            String id,
            JsonNode match,
            List<Step> steps,
            @Nullable LocalDate checked,
            boolean deprecated) {
        /** The names its {@code equals} clauses accept, lower-cased, in order. */
        List<String> exactNames() {
            List<String> names = new ArrayList<>();
            collectEquals(match, names);
            return names;
        }
    }

    /** A price step: from {@code startDate} (or from the start when null), these prices per field. */
    record Step(@Nullable LocalDate startDate, @Nullable JsonNode otherConstraint, Map<String, Price> prices) {}

    /** A price per million units, flat or with cliff tiers (the whole call at a tier once input crosses it). */
    record Price(BigDecimal base, List<Tier> tiers) {}

    record Tier(long start, BigDecimal price) {}

    private final Map<String, Provider> providers;

    private GenaiPrices(Map<String, Provider> providers) {
        this.providers = providers;
    }

    static GenaiPrices read(Path dir, List<String> providerIds) {
        Map<String, Provider> providers = new LinkedHashMap<>();
        for (String id : providerIds) {
            try {
                JsonNode root = YAML.readTree(Files.readString(dir.resolve(id + ".yml")));
                List<String> urls = new ArrayList<>();
                root.path("pricing_urls").forEach(u -> urls.add(u.asText()));
                List<Model> models = new ArrayList<>();
                for (JsonNode m : root.path("models")) {
                    models.add(model(m));
                }
                providers.put(id, new Provider(root.path("id").asText(), urls, models));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new GenaiPrices(providers);
    }

    Provider provider(String id) {
        Provider p = providers.get(id);
        if (p == null) {
            throw new IllegalArgumentException("no provider " + id + " in the pinned dataset");
        }
        return p;
    }

    List<Provider> providers() {
        return List.copyOf(providers.values());
    }

    private static Model model(JsonNode m) {
        List<Step> steps = new ArrayList<>();
        JsonNode prices = m.path("prices");
        if (prices.isArray()) {
            for (JsonNode s : prices) {
                JsonNode c = s.path("constraint");
                LocalDate start = null;
                JsonNode other = null;
                if (!c.isMissingNode()) {
                    if (c.has("start_date") && c.size() == 1) {
                        start = LocalDate.parse(c.path("start_date").asText());
                    } else {
                        other = c;
                    }
                }
                steps.add(new Step(start, other, fields(s.path("prices"))));
            }
        } else {
            steps.add(new Step(null, null, fields(prices)));
        }
        JsonNode checked = m.path("prices_checked");
        return new Model(
                m.path("id").asText(),
                m.path("match"),
                steps,
                checked.isMissingNode() ? null : LocalDate.parse(checked.asText()),
                m.path("deprecated").asBoolean(false));
    }

    private static Map<String, Price> fields(JsonNode prices) {
        Map<String, Price> out = new LinkedHashMap<>();
        prices.properties().forEach(e -> {
            JsonNode v = e.getValue();
            if (v.isNumber()) {
                out.put(e.getKey(), new Price(v.decimalValue(), List.of()));
            } else {
                List<Tier> tiers = new ArrayList<>();
                for (JsonNode t : v.path("tiers")) {
                    tiers.add(new Tier(t.path("start").asLong(), t.path("price").decimalValue()));
                }
                out.put(e.getKey(), new Price(v.path("base").decimalValue(), tiers));
            }
        });
        return out;
    }

    static boolean matches(JsonNode clause, String lower) {
        if (clause.has("or")) {
            for (JsonNode c : clause.path("or")) {
                if (matches(c, lower)) {
                    return true;
                }
            }
            return false;
        }
        if (clause.has("and")) {
            for (JsonNode c : clause.path("and")) {
                if (!matches(c, lower)) {
                    return false;
                }
            }
            return true;
        }
        if (clause.has("equals")) {
            return lower.equals(clause.path("equals").asText().toLowerCase(Locale.ROOT));
        }
        if (clause.has("starts_with")) {
            return lower.startsWith(clause.path("starts_with").asText().toLowerCase(Locale.ROOT));
        }
        if (clause.has("ends_with")) {
            return lower.endsWith(clause.path("ends_with").asText().toLowerCase(Locale.ROOT));
        }
        if (clause.has("contains")) {
            return lower.contains(clause.path("contains").asText().toLowerCase(Locale.ROOT));
        }
        if (clause.has("regex")) {
            return Pattern.compile(clause.path("regex").asText()).matcher(lower).find();
        }
        throw new IllegalArgumentException("unknown match clause " + clause);
    }

    private static void collectEquals(JsonNode clause, List<String> into) {
        if (clause.has("or")) {
            clause.path("or").forEach(c -> collectEquals(c, into));
        } else if (clause.has("equals")) {
            into.add(clause.path("equals").asText().toLowerCase(Locale.ROOT));
        }
    }
}
