package dev.tokenkeeper.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenKeeperException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PricingTest {
    static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    static Rates rates(String in, String cached, String write, String out) {
        return new Rates(Money.of(in), Money.of(cached), Money.of(write), Money.of(out));
    }

    static ModelPrice price(String model, String from, Rates r) {
        return new ModelPrice("acme", model, Instant.parse(from), r, null, "test", LocalDate.parse("2026-11-22"));
    }

    static PricingCatalog json(String s) throws IOException {
        return PricingCatalog.fromJson(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Nested
    @DisplayName("money")
    class Monies {
        @Test
        @DisplayName("is decimal and exact, in whole picodollars")
        void exact() {
            assertThat(Money.of("0.1").plus(Money.of("0.2"))).isEqualTo(Money.of("0.3"));
            assertThat(Money.of("0.000000000001").toPicosExact()).isOne();
            assertThat(Money.ofPicos(2_500_000_000L)).isEqualTo(Money.of("0.0025"));
            assertThat(Money.of("0.0025").toString()).isEqualTo("0.0025");
            assertThat(Money.of("12").toString()).isEqualTo("12");
            assertThatThrownBy(() -> Money.of("0.0000000000001")).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> Money.of("abc")).isInstanceOf(InvalidRequestException.class);
        }

        @Test
        @DisplayName("refuses huge or tiny exponents and long strings before any arithmetic, with a short message")
        void boundedParsing() {
            for (String bad :
                    List.of("1e10000000", "1e-10000000", "99999999999999999999999", "1".repeat(41), "1e19", "-1e19")) {
                assertThatThrownBy(() -> Money.of(bad))
                        .as(bad)
                        .isInstanceOf(InvalidRequestException.class)
                        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(100));
            }
            assertThatThrownBy(() -> Money.of(new java.math.BigDecimal("1e-10000000")))
                    .isInstanceOf(InvalidRequestException.class)
                    .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(100));
            assertThat(Money.of("999999999999999999").toString()).isEqualTo("999999999999999999");
            assertThat(Money.of("2.5e-3")).isEqualTo(Money.of("0.0025"));
            // a price a million times the dearest model's is still refused, before any cost is computed
            assertThatThrownBy(() -> new Rates(Money.of("1000000.000001"), Money.ZERO, Money.ZERO, Money.ZERO))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("at most $1000000");
            assertThat(new Rates(Money.of("1000000"), Money.ZERO, Money.ZERO, Money.ZERO)
                            .costOf(TokenCounts.of(1, 0))
                            .input())
                    .isEqualTo(Money.of("1"));
        }
    }

    @Nested
    @DisplayName("cost")
    class Costs {
        @Test
        @DisplayName("is split per category, reasoning at the output rate")
        void splitPerCategory() {
            Cost c = price("m", "2026-01-01T00:00:00Z", rates("3", "0.30", "3.75", "15"))
                    .costOf(new TokenCounts(1000, 2000, 4000, 100, 50));
            assertThat(c.split().input()).isEqualTo(Money.of("0.003"));
            assertThat(c.split().cachedInput()).isEqualTo(Money.of("0.0006"));
            assertThat(c.split().cacheWrite()).isEqualTo(Money.of("0.015"));
            assertThat(c.split().output()).isEqualTo(Money.of("0.0015"));
            assertThat(c.split().reasoning()).isEqualTo(Money.of("0.00075"));
            assertThat(c.total()).isEqualTo(Money.of("0.02085"));
            assertThat(c.priceMissing()).isFalse();
        }

        @Test
        @DisplayName("the sum of the costs of many calls equals the cost of their summed tokens, to the picodollar")
        void sumOfCostsIsCostOfSums() {
            ModelPrice p = price("m", "2026-01-01T00:00:00Z", rates("0.075", "0.01875", "0.1", "0.3"));
            SplittableRandom r = new SplittableRandom(42);
            BigInteger sumOfCosts = BigInteger.ZERO;
            long in = 0, cached = 0, write = 0, out = 0, reasoning = 0;
            for (int i = 0; i < 10_000; i++) {
                TokenCounts t = new TokenCounts(
                        r.nextLong(200_000),
                        r.nextLong(50_000),
                        r.nextLong(10_000),
                        r.nextLong(8_000),
                        r.nextLong(4_000));
                sumOfCosts = sumOfCosts.add(p.costOf(t).total().toPicos());
                in += t.input();
                cached += t.cachedInput();
                write += t.cacheWrite();
                out += t.output();
                reasoning += t.reasoning();
            }
            // the summed counts exceed one call's limit, so price them category by category
            BigInteger costOfSums = Money.of("0.075")
                    .times(in)
                    .plus(Money.of("0.01875").times(cached))
                    .plus(Money.of("0.1").times(write))
                    .plus(Money.of("0.3").times(out + reasoning))
                    .toPicos()
                    .divide(BigInteger.valueOf(1_000_000));
            assertThat(sumOfCosts).isEqualTo(costOfSums);
        }

        @Test
        @DisplayName("a long-context tier applies to the whole call above its threshold")
        void longContextTier() {
            ModelPrice p = new ModelPrice(
                    "google",
                    "g",
                    Instant.EPOCH,
                    rates("1.25", "0.31", "1.25", "10"),
                    new ModelPrice.LongContext(200_000, rates("2.5", "0.625", "2.5", "15")),
                    "test",
                    LocalDate.EPOCH);
            assertThat(p.costOf(TokenCounts.of(200_000, 0)).total()).isEqualTo(Money.of("0.25"));
            assertThat(p.costOf(TokenCounts.of(200_001, 1000)).total()).isEqualTo(Money.of("0.5150025"));
        }

        @Test
        @DisplayName("negative and absurd token counts are refused")
        void badCounts() {
            assertThatThrownBy(() -> TokenCounts.of(-1, 0))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("input"));
            assertThatThrownBy(() -> new TokenCounts(0, 0, 0, 0, TokenCounts.MAX_PER_CATEGORY + 1))
                    .isInstanceOfSatisfying(
                            InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("reasoning"));
        }
    }

    @Nested
    @DisplayName("catalog")
    class Catalog {
        @Test
        @DisplayName("prices are effective-dated: a call is priced at the rate valid when it was made")
        void effectiveDated() {
            PricingCatalog c = PricingCatalog.of(
                    List.of(
                            price("m", "2026-01-01T00:00:00Z", rates("1", "0", "0", "2")),
                            price("m", "2026-03-01T00:00:00Z", rates("0.5", "0", "0", "1"))),
                    Map.of());
            assertThat(c.find("acme", "m", Instant.parse("2025-12-31T23:59:59Z")))
                    .isEmpty();
            assertThat(c.find("acme", "m", Instant.parse("2026-02-28T23:59:59Z"))
                            .orElseThrow()
                            .rates()
                            .input())
                    .isEqualTo(Money.of("1"));
            assertThat(c.find("acme", "m", Instant.parse("2026-03-01T00:00:00Z"))
                            .orElseThrow()
                            .rates()
                            .input())
                    .isEqualTo(Money.of("0.5"));
        }

        @Test
        @DisplayName("aliases and dated snapshots resolve to their model; a snapshot's own entry wins")
        void aliasesAndSnapshots() {
            PricingCatalog c = PricingCatalog.of(
                    List.of(
                            price("gpt-x", "2026-01-01T00:00:00Z", rates("2.5", "1.25", "2.5", "10")),
                            price("gpt-x-2025-05-13", "2026-01-01T00:00:00Z", rates("5", "5", "5", "15"))),
                    Map.of("acme/gpt-x-latest", "gpt-x"));
            assertThat(c.find("acme", "gpt-x-2026-08-06", NOW).orElseThrow().model())
                    .isEqualTo("gpt-x");
            assertThat(c.find("acme", "gpt-x-20260806", NOW).orElseThrow().model())
                    .isEqualTo("gpt-x");
            assertThat(c.find("acme", "GPT-X-LATEST", NOW).orElseThrow().model())
                    .isEqualTo("gpt-x");
            assertThat(c.find("acme", "gpt-x-2025-05-13", NOW)
                            .orElseThrow()
                            .rates()
                            .input())
                    .isEqualTo(Money.of("5"));
            assertThat(c.find("other", "gpt-x", NOW)).isEmpty();
        }

        @Test
        @DisplayName("the bundled catalog loads, cites a source and date for every price, and resolves dated ids")
        void bundled() {
            PricingCatalog c = PricingCatalog.bundled();
            assertThat(c.prices()).isNotEmpty().allSatisfy(p -> {
                assertThat(p.source()).startsWith("https://");
                assertThat(p.checkedOn()).isNotNull();
            });
            ModelPrice sonnet =
                    c.find("anthropic", "claude-sonnet-4-5-20250929", NOW).orElseThrow();
            assertThat(sonnet.model()).isEqualTo("claude-sonnet-4-5");
            assertThat(sonnet.rates().output()).isEqualTo(Money.of("15"));
            assertThat(c.find("anthropic", "claude-opus-4-0", NOW).orElseThrow().model())
                    .isEqualTo("claude-opus-4");
        }

        @Test
        @DisplayName("the bundled catalog covers OpenAI, Google and Mistral: snapshots, aliases and long-context tiers")
        void otherProviders() {
            PricingCatalog c = PricingCatalog.bundled();
            assertThat(c.prices())
                    .extracting(ModelPrice::provider)
                    .contains("anthropic", "openai", "google", "mistral");
            // a dated snapshot finds its model, unless it is priced apart (gpt-4o's first snapshot cost more)
            assertThat(c.find("openai", "gpt-4o-2024-08-06", NOW).orElseThrow().model())
                    .isEqualTo("gpt-4o");
            assertThat(c.find("openai", "gpt-4o-2024-05-13", NOW)
                            .orElseThrow()
                            .rates()
                            .input())
                    .isEqualTo(Money.of("5"));
            assertThat(c.find("openai", "gpt-4o-mini-2024-07-18", NOW)
                            .orElseThrow()
                            .rates()
                            .cachedInput())
                    .isEqualTo(Money.of("0.075"));
            assertThat(c.find("mistral", "mistral-large-latest", NOW)
                            .orElseThrow()
                            .model())
                    .isEqualTo("mistral-large");
            ModelPrice pro = c.find("google", "gemini-2.5-pro", NOW).orElseThrow();
            // 100k input + 10k output at the base rates; 300k input + 10k output at the long-context rates
            assertThat(pro.costOf(TokenCounts.of(100_000, 10_000)).total()).isEqualTo(Money.of("0.225"));
            assertThat(pro.costOf(TokenCounts.of(300_000, 10_000)).total()).isEqualTo(Money.of("0.9"));
        }

        @Test
        @DisplayName("a malformed catalog is refused with the entry named")
        void malformed() {
            assertThatThrownBy(
                            () -> json(
                                    "{\"format\":1,\"models\":[{\"provider\":\"p\",\"model\":\"m\",\"prices\":[{"
                                            + "\"effective_from\":\"2026-01-01T00:00:00Z\",\"input\":0.1,\"cached_input\":\"0\","
                                            + "\"cache_write\":\"0\",\"output\":\"1\",\"source\":\"s\",\"checked_on\":\"2026-01-01\"}]}]}"))
                    .isInstanceOfSatisfying(TokenKeeperException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.CONFIGURATION_INVALID);
                        assertThat(e.getMessage()).contains("p/m").contains("input");
                    });
            assertThatThrownBy(
                            () -> json(
                                    "{\"format\":1,\"models\":[{\"provider\":\"p\",\"model\":\"m\",\"prices\":[{"
                                            + "\"effective_from\":\"2026-01-01T00:00:00Z\",\"input\":\"0.0000001\",\"cached_input\":\"0\","
                                            + "\"cache_write\":\"0\",\"output\":\"1\",\"source\":\"s\",\"checked_on\":\"2026-01-01\"}]}]}"))
                    .isInstanceOf(TokenKeeperException.class)
                    .hasMessageContaining("decimal places");
            assertThatThrownBy(() -> json("{\"models\":[]}")).isInstanceOf(TokenKeeperException.class);
        }
    }

    @Nested
    @DisplayName("unknown-price policy")
    class Policy {
        final PricingCatalog catalog = PricingCatalog.bundled();
        final TokenCounts counts = TokenCounts.of(1000, 100);

        @TempDir
        Path dir;

        final List<TokenKeeper> keepers = new java.util.ArrayList<>();

        /** The pricing service of a real keeper on a throw-away SQLite file. */
        PricingService service(UnknownPricePolicy policy, @Nullable Rates defaults) {
            TokenKeeper.Builder b = TokenKeeper.builder()
                    .sqliteFile(dir.resolve(keepers.size() + ".db"))
                    .shutdownHook(false)
                    .unknownPricePolicy(policy);
            if (defaults != null) {
                b.defaultRates(defaults);
            }
            TokenKeeper k = b.build();
            keepers.add(k);
            return k.pricing();
        }

        @AfterEach
        void close() {
            keepers.forEach(TokenKeeper::close);
        }

        @Test
        @DisplayName("REJECT refuses, FLAG records zero flagged, DEFAULT_PRICE applies the default and flags")
        void policies() {
            assertThatThrownBy(() -> service(UnknownPricePolicy.REJECT, null).cost("nobody", "nothing", counts, NOW))
                    .isInstanceOfSatisfying(
                            PriceMissingException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.PRICE_MISSING));
            Cost flagged = service(UnknownPricePolicy.FLAG, null).cost("nobody", "nothing", counts, NOW);
            assertThat(flagged.priceMissing()).isTrue();
            assertThat(flagged.total()).isEqualTo(Money.ZERO);
            Cost defaulted = service(UnknownPricePolicy.DEFAULT_PRICE, rates("10", "1", "10", "30"))
                    .cost("nobody", "nothing", counts, NOW);
            assertThat(defaulted.priceMissing()).isTrue();
            assertThat(defaulted.total()).isEqualTo(Money.of("0.013"));
            assertThatThrownBy(() -> service(UnknownPricePolicy.DEFAULT_PRICE, null))
                    .isInstanceOf(IllegalStateException.class);
        }

        @Test
        @DisplayName("the documented example costs what its comment says")
        void documentedExample() {
            Cost c = service(UnknownPricePolicy.REJECT, null)
                    .cost("anthropic", "claude-sonnet-4-5-20250929", new TokenCounts(1200, 8000, 0, 350, 0), NOW);
            assertThat(c.total()).isEqualTo(Money.of("0.01125"));
            assertThat(c.split().output()).isEqualTo(Money.of("0.00525"));
        }
    }
}
