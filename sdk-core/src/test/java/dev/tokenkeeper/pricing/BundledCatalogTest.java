package dev.tokenkeeper.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.TokenKeeper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled catalog against the pinned open dataset it is generated from ({@link GenaiPrices}) and the reviewed
 * decisions ({@code pricing/review.json}). {@code -Dcatalog.update=true} regenerates the bundled file instead of
 * checking it: {@code mvn -pl sdk-core test -Dtest=BundledCatalogTest -Dcatalog.update=true}.
 */
@DisplayName("bundled pricing catalog")
class BundledCatalogTest {
    private static final boolean UPDATE = Boolean.getBoolean("catalog.update");
    /** Counts that exercise every rate: input, cache read, cache write and output. */
    private static final TokenCounts SMALL = new TokenCounts(10_000, 20_000, 3_000, 4_000, 0);
    /** The same shape past every long-context threshold in the dataset (the lowest is 128,000). */
    private static final TokenCounts LARGE = new TokenCounts(400_000, 200_000, 30_000, 40_000, 0);

    private final CatalogGenerator.Review review = CatalogGenerator.Review.read(CatalogGenerator.REVIEW);
    private final GenaiPrices data = GenaiPrices.read(CatalogGenerator.DATASET, review.providers());

    private static PricingCatalog bundled() throws IOException {
        try (InputStream in = Files.newInputStream(CatalogGenerator.BUNDLED)) {
            return PricingCatalog.fromJson(in);
        }
    }

    @Test
    @DisplayName("the bundled file is exactly what the pinned dataset and the review generate")
    void generated() throws IOException {
        String generated = CatalogGenerator.generate(CatalogGenerator.DATASET, CatalogGenerator.REVIEW);
        if (UPDATE) {
            Files.writeString(CatalogGenerator.BUNDLED, generated);
        }
        assertThat(Files.readString(CatalogGenerator.BUNDLED))
                .as("catalog.json is generated: run with -Dcatalog.update=true after changing the dataset or review")
                .isEqualTo(generated);
        assertThat(PricingCatalog.bundled().prices()).hasSameSizeAs(bundled().prices());
    }

    @Test
    @DisplayName("docs/pricing.md lists every model and price of the bundled catalog")
    void docsListTheCatalog() throws IOException {
        Path doc = Path.of("../docs/pricing.md");
        String text = Files.readString(doc);
        String start = "<!-- catalog: generated from catalog.json by BundledCatalogTest -->\n";
        String end = "<!-- end of catalog -->";
        int from = text.indexOf(start);
        int to = text.indexOf(end);
        assertThat(from).as("the table's start marker in docs/pricing.md").isNotNegative();
        assertThat(to).as("the table's end marker").isGreaterThan(from);
        String table = CatalogGenerator.markdownTable(Files.readString(CatalogGenerator.BUNDLED));
        if (UPDATE) {
            text = text.substring(0, from + start.length()) + table + text.substring(to);
            Files.writeString(doc, text);
            to = text.indexOf(end);
        }
        assertThat(text.substring(from + start.length(), to)).isEqualTo(table);
    }

    /**
     * Independent of the generator: every name the catalog answers to, looked up with the dataset's own rules,
     * costs the same in the catalog as the dataset's prices give, computed here from the dataset, at every price
     * step, below and above long-context thresholds. A name the dataset resolves otherwise must be explained in
     * the review (an alias with its reason, or an addition).
     */
    @Test
    @DisplayName("every name costs what the pinned dataset says, at every price step, or the review explains why not")
    void agreesWithTheDataset() throws IOException {
        PricingCatalog catalog = bundled();
        List<String> unexplained = new ArrayList<>();
        int compared = 0;
        for (String name : names(catalog)) {
            String provider = name.substring(0, name.indexOf('/'));
            String model = name.substring(name.indexOf('/') + 1);
            if (isAddition(provider, catalog.history(provider, model).get(0).model())) {
                continue;
            }
            Optional<GenaiPrices.Model> source = data.provider(provider).find(model);
            if (source.isEmpty()
                    || !review.idOf(provider, source.get())
                            .equals(catalog.history(provider, model).get(0).model())) {
                if (!review.aliasReasons().containsKey(name)) {
                    unexplained.add(name + " (the dataset resolves it to "
                            + source.map(GenaiPrices.Model::id).orElse("nothing") + ")");
                }
                continue;
            }
            for (GenaiPrices.Step step : source.get().steps()) {
                Instant at = step.startDate() == null
                        ? Instant.parse("2024-01-01T00:00:00Z")
                        : step.startDate().atStartOfDay(ZoneOffset.UTC).toInstant();
                for (TokenCounts counts : List.of(SMALL, LARGE)) {
                    Money expected = datasetCost(source.get(), at, counts);
                    Money actual = catalog.find(provider, model, at)
                            .orElseThrow()
                            .costOf(counts)
                            .total();
                    if (!expected.equals(actual)) {
                        unexplained.add(name + " at " + at + " for " + counts + ": dataset " + expected + ", catalog "
                                + actual);
                    }
                    compared++;
                }
            }
        }
        assertThat(unexplained)
                .as("differences from the dataset without a reason in the review")
                .isEmpty();
        assertThat(compared).isGreaterThan(500);
    }

    @Test
    @DisplayName("no explanation in the review is stale: each addition differs from what the dataset would give")
    void explanationsAreNeeded() throws IOException {
        PricingCatalog catalog = bundled();
        for (JsonNode add : review.additions()) {
            String provider = add.path("provider").asText();
            String model = add.path("model").asText();
            Optional<GenaiPrices.Model> source = data.provider(provider).find(model);
            if (source.isPresent()) {
                Instant at = Instant.parse("2026-01-01T00:00:00Z");
                assertThat(catalog.find(provider, model, at)
                                .orElseThrow()
                                .costOf(SMALL)
                                .total())
                        .as("%s/%s is an addition, but the dataset prices it the same", provider, model)
                        .isNotEqualTo(datasetCost(source.get(), at, SMALL));
            }
        }
        assertThat(review.excluded())
                .isNotEmpty()
                .allSatisfy((model, reason) -> assertThat(reason).isNotBlank());
    }

    @Test
    @DisplayName("a call to every covered model, by id or alias, is priced through the SDK")
    void everyModelIsPricedByTheSdk(@TempDir Path dir) throws IOException {
        PricingCatalog catalog = bundled();
        Instant now = Instant.parse("2026-12-03T12:00:00Z");
        try (TokenKeeper keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("p.db"))
                .shutdownHook(false)
                .backgroundMaintenance(false)
                .build()) {
            List<String> names = names(catalog);
            assertThat(names).hasSizeGreaterThan(150);
            for (String name : names) {
                String provider = name.substring(0, name.indexOf('/'));
                String model = name.substring(name.indexOf('/') + 1);
                Cost c = keeper.pricing().cost(provider, model.toUpperCase(Locale.ROOT), SMALL, now);
                assertThat(c.priceMissing()).as(name).isFalse();
                assertThat(c.total().isZero() || c.total().isNegative())
                        .as(name)
                        .isFalse();
            }
            // the current models the issue named
            for (String[] pm : new String[][] {
                {"openai", "gpt-5.1"},
                {"openai", "gpt-5.6-luna"},
                {"openai", "gpt-5.6-sol"},
                {"openai", "gpt-5.6"},
                {"anthropic", "claude-sonnet-5"},
                {"anthropic", "claude-opus-5"},
                {"google", "gemini-3.5-flash"},
                {"google", "gemini-3.1-pro-preview"},
                {"openai", "text-embedding-3-small"},
                {"openai", "text-embedding-3-large"},
                {"mistral", "mistral-large-2512"}
            }) {
                assertThat(keeper.pricing().cost(pm[0], pm[1], SMALL, now).priceMissing())
                        .as(pm[0] + "/" + pm[1])
                        .isFalse();
            }
        }
    }

    @Test
    @DisplayName("a call at a price step is priced on the right side of it, through the SDK")
    void priceSteps(@TempDir Path dir) {
        try (TokenKeeper keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("p.db"))
                .shutdownHook(false)
                .backgroundMaintenance(false)
                .build()) {
            PricingService p = keeper.pricing();
            TokenCounts million = TokenCounts.of(1_000_000, 1_000_000);
            // Claude Sonnet 5: $2 / $10 introductory through 2026-08-31, $3 / $15 from 2026-09-01
            assertThat(p.cost("anthropic", "claude-sonnet-5", million, Instant.parse("2026-08-31T23:59:59.999Z"))
                            .total())
                    .isEqualTo(Money.of("12"));
            assertThat(p.cost("anthropic", "claude-sonnet-5", million, Instant.parse("2026-09-01T00:00:00Z"))
                            .total())
                    .isEqualTo(Money.of("18"));
            // Gemini 3.6 Flash: $0.75 / $3.75 through 2026, $1.50 / $7.50 from 2027-01-01
            assertThat(p.cost("google", "gemini-3.6-flash", million, Instant.parse("2026-12-31T23:59:59Z"))
                            .total())
                    .isEqualTo(Money.of("4.5"));
            assertThat(p.cost("google", "gemini-3.6-flash", million, Instant.parse("2027-01-01T00:00:00Z"))
                            .total())
                    .isEqualTo(Money.of("9"));
            // gpt-5.6-luna: 80 % less from 2026-07-30
            Money before = p.cost("openai", "gpt-5.6-luna", million, Instant.parse("2026-07-29T23:59:59Z"))
                    .total();
            Money after = p.cost("openai", "gpt-5.6-luna", million, Instant.parse("2026-07-30T00:00:00Z"))
                    .total();
            assertThat(after.usd().multiply(BigDecimal.valueOf(5)).compareTo(before.usd()))
                    .isZero();
        }
    }

    @Test
    @DisplayName("names resolve strictly: any case, aliases, real dated snapshots; never an impossible or future date")
    void strictNames() throws IOException {
        PricingCatalog c = bundled();
        Instant now = Instant.parse("2026-12-03T12:00:00Z");
        assertThat(c.find("anthropic", "claude-sonnet-4-5-20250929", now)).isPresent();
        assertThat(c.find("anthropic", "claude-sonnet-4-5-2025-09-29", now)).isPresent();
        assertThat(c.find("anthropic", "Claude-Sonnet-4-5", now)).isPresent();
        assertThat(c.find("ANTHROPIC", "claude-sonnet-4-5", now)).isPresent();
        assertThat(c.find("anthropic", "claude-sonnet-4-5-99999999", now)).isEmpty();
        assertThat(c.find("anthropic", "claude-sonnet-4-5-20251399", now)).isEmpty();
        assertThat(c.find("anthropic", "claude-sonnet-4-5-20250230", now)).isEmpty();
        assertThat(c.find("anthropic", "claude-sonnet-4-5-19991231", now)).isEmpty();
        assertThat(c.find("anthropic", "claude-sonnet-4-5-20261205", now))
                .as("a snapshot dated after the call")
                .isEmpty();
        assertThat(c.find("anthropic", "claude-sonnet-4-5-20261204", now)).isPresent();
        assertThat(c.find("anthropic", "claude-sonnet-4-5-latest-20250929", now))
                .isEmpty();
        assertThat(c.find("anthropic", "claude-sonnet-4-5x", now)).isEmpty();
        assertThat(c.find("openai", "gpt-4o-2024-08-06", now).orElseThrow().model())
                .isEqualTo("gpt-4o");
        assertThat(c.find("openai", "gpt-4o-2024-05-13", now)
                        .orElseThrow()
                        .rates()
                        .input())
                .isEqualTo(Money.of("5"));
        assertThat(c.find("mistral", "mistral-large-2411", now).orElseThrow().model())
                .isEqualTo("mistral-large");
        assertThat(c.history("anthropic", "claude-sonnet-4-5-99999999")).isEmpty();
    }

    @Test
    @DisplayName("every id and alias of the previously bundled catalog still resolves")
    void previousIdsResolve() throws IOException {
        PricingCatalog c = bundled();
        Instant now = Instant.parse("2026-12-03T12:00:00Z");
        String previous = "anthropic:claude-opus-5 claude-opus-4-8 claude-opus-4-7 claude-opus-4-6 claude-opus-4-5"
                + " claude-opus-4-1 claude-opus-4 claude-opus-4-0 claude-sonnet-4-6 claude-sonnet-4-5 claude-sonnet-4"
                + " claude-sonnet-4-0 claude-3-7-sonnet claude-3-7-sonnet-latest claude-haiku-4-5 claude-3-5-haiku"
                + " claude-3-5-haiku-latest claude-3-opus claude-3-opus-latest claude-3-haiku"
                + "|openai:gpt-5 gpt-5-mini gpt-5-nano gpt-5-pro gpt-4.1 gpt-4.1-mini gpt-4.1-nano gpt-4o"
                + " gpt-4o-2024-05-13 gpt-4o-mini o3 o3-pro o3-mini o4-mini"
                + "|google:gemini-2.5-pro gemini-2.5-flash gemini-2.5-flash-lite"
                + "|mistral:mistral-large-2411 mistral-large-latest mistral-medium-2505 mistral-medium-latest"
                + " mistral-small magistral-medium-2506 magistral-medium-latest magistral-small-2506"
                + " magistral-small-latest codestral-2405 codestral-latest devstral-medium-2507 devstral-small-2507";
        for (String group : previous.split("\\|")) {
            String provider = group.substring(0, group.indexOf(':'));
            for (String model : group.substring(group.indexOf(':') + 1).split(" ")) {
                assertThat(c.find(provider, model, now))
                        .as(provider + "/" + model)
                        .isPresent();
            }
        }
    }

    private boolean isAddition(String provider, String model) {
        return review.additions().stream()
                .anyMatch(a -> a.path("provider").asText().equals(provider)
                        && a.path("model").asText().equals(model));
    }

    /** provider/name for every model id and alias of the catalog. */
    private static List<String> names(PricingCatalog catalog) throws IOException {
        JsonNode root = new ObjectMapper().readTree(Files.readString(CatalogGenerator.BUNDLED));
        List<String> names = new ArrayList<>();
        for (JsonNode m : root.path("models")) {
            String provider = m.path("provider").asText();
            names.add(provider + "/" + m.path("model").asText());
            m.path("aliases").forEach(a -> names.add(provider + "/" + a.asText()));
        }
        assertThat(names)
                .allSatisfy(n -> assertThat(
                                catalog.history(n.substring(0, n.indexOf('/')), n.substring(n.indexOf('/') + 1)))
                        .isNotEmpty());
        return names;
    }

    /**
     * The cost of a call by the dataset's own prices, computed here without the catalog: the step in force at
     * {@code at}; each token kind at its field's price (cache reads and writes at the input price where the
     * dataset lists none, output at zero for input-only models); a tiered field at its tier price for the whole
     * call once the call's input (all kinds) exceeds the tier's start.
     */
    private static Money datasetCost(GenaiPrices.Model m, Instant at, TokenCounts counts) {
        LocalDate day = at.atOffset(ZoneOffset.UTC).toLocalDate();
        GenaiPrices.Step step = null;
        for (GenaiPrices.Step s : m.steps()) {
            if (s.startDate() == null || !s.startDate().isAfter(day)) {
                step = s;
            }
        }
        assertThat(step).as("a price of %s at %s", m.id(), at).isNotNull();
        Map<String, GenaiPrices.Price> p = step.prices();
        long totalInput = counts.input() + counts.cachedInput() + counts.cacheWrite();
        BigDecimal input = perMillion(p.get("input_mtok"), totalInput);
        BigDecimal cacheRead =
                p.containsKey("cache_read_mtok") ? perMillion(p.get("cache_read_mtok"), totalInput) : input;
        BigDecimal cacheWrite =
                p.containsKey("cache_write_mtok") ? perMillion(p.get("cache_write_mtok"), totalInput) : input;
        BigDecimal output =
                p.containsKey("output_mtok") ? perMillion(p.get("output_mtok"), totalInput) : BigDecimal.ZERO;
        BigDecimal total = input.multiply(BigDecimal.valueOf(counts.input()))
                .add(cacheRead.multiply(BigDecimal.valueOf(counts.cachedInput())))
                .add(cacheWrite.multiply(BigDecimal.valueOf(counts.cacheWrite())))
                .add(output.multiply(BigDecimal.valueOf(counts.output() + counts.reasoning())))
                .divide(BigDecimal.valueOf(1_000_000), 12, RoundingMode.UNNECESSARY);
        return Money.of(total);
    }

    private static BigDecimal perMillion(GenaiPrices.Price price, long totalInput) {
        for (GenaiPrices.Tier t : price.tiers()) {
            if (totalInput > t.start()) {
                return t.price();
            }
        }
        return price.base();
    }
}
