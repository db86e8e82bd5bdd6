package dev.tokenkeeper.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.LimitAlert;
import dev.tokenkeeper.limits.LimitAlertListener;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.UsageEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@DisplayName("Spring Boot auto-configuration")
class TokenKeeperAutoConfigurationTest {
    @TempDir
    Path dir;

    final ApplicationContextRunner runner =
            new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(TokenKeeperAutoConfiguration.class));

    @Test
    @DisplayName("builds one TokenKeeper on the configured SQLite file and closes it with the context")
    void defaults() {
        Path file = dir.resolve("app.db");
        runner.withPropertyValues("tokenkeeper.storage.sqlite-file=" + file, "tokenkeeper.ledger.synchronous=true")
                .run(ctx -> {
                    assertThat(ctx).hasSingleBean(TokenKeeper.class);
                    TokenKeeper keeper = ctx.getBean(TokenKeeper.class);
                    assertThat(keeper.backend()).isEqualTo(dev.tokenkeeper.StorageBackend.SQLITE);
                    keeper.tenants().ensure("acme", "Acme");
                    // synchronous ledger from the properties: committed before record returns
                    assertThat(keeper.usage()
                                    .record(UsageEvent.builder()
                                            .requestId("r1")
                                            .tenant("acme")
                                            .provider("anthropic")
                                            .model("claude-haiku-4-5")
                                            .counts(TokenCounts.of(10, 10))
                                            .build())
                                    .durable())
                            .isTrue();
                });
        assertThat(Files.exists(file)).isTrue();
    }

    @Test
    @DisplayName("a Clock bean named tokenKeeperClock drives the keeper's time; a Clock of another name does not")
    void clockBean() {
        java.time.Clock fixed =
                java.time.Clock.fixed(java.time.Instant.parse("2030-01-01T00:00:00Z"), java.time.ZoneOffset.UTC);
        runner.withPropertyValues("tokenkeeper.storage.sqlite-file=" + dir.resolve("clock.db"))
                .withBean(TokenKeeperAutoConfiguration.CLOCK_BEAN, java.time.Clock.class, () -> fixed)
                .run(ctx -> assertThat(ctx.getBean(TokenKeeper.class).clock()).isSameAs(fixed));
        runner.withPropertyValues("tokenkeeper.storage.sqlite-file=" + dir.resolve("other-clock.db"))
                .withBean("applicationClock", java.time.Clock.class, () -> fixed)
                .run(ctx -> assertThat(ctx.getBean(TokenKeeper.class).clock()).isNotSameAs(fixed));
    }

    @Test
    @DisplayName("a PricingCatalog bean replaces the bundled catalog")
    void catalogBean() {
        dev.tokenkeeper.pricing.ModelPrice price = new dev.tokenkeeper.pricing.ModelPrice(
                "acme",
                "acme-1",
                java.time.Instant.EPOCH,
                new dev.tokenkeeper.pricing.Rates(Money.of("1"), Money.of("0.1"), Money.of("1"), Money.of("2")),
                null,
                "test",
                java.time.LocalDate.of(2026, 12, 1));
        runner.withPropertyValues("tokenkeeper.storage.sqlite-file=" + dir.resolve("catalog.db"))
                .withBean(
                        dev.tokenkeeper.pricing.PricingCatalog.class,
                        () -> dev.tokenkeeper.pricing.PricingCatalog.bundled().withOverrides(List.of(price)))
                .run(ctx -> assertThat(ctx.getBean(TokenKeeper.class)
                                .pricing()
                                .find("acme", "acme-1", java.time.Instant.parse("2026-12-01T00:00:00Z")))
                        .isPresent());
    }

    @Test
    @DisplayName("an application's own TokenKeeper bean wins")
    void ownBean() {
        runner.withUserConfiguration(OwnKeeper.class).run(ctx -> {
            assertThat(ctx).hasSingleBean(TokenKeeper.class);
            assertThat(ctx.getBean(TokenKeeper.class)).isSameAs(ctx.getBean(OwnKeeper.class).keeper);
        });
    }

    @Test
    @DisplayName("LimitAlertListener beans receive limit alerts")
    void alertListeners() {
        runner.withPropertyValues("tokenkeeper.storage.sqlite-file=" + dir.resolve("alerts.db"))
                .withUserConfiguration(Alerts.class)
                .run(ctx -> {
                    TokenKeeper keeper = ctx.getBean(TokenKeeper.class);
                    keeper.tenants().ensure("acme", "Acme");
                    keeper.limits()
                            .create(LimitSpec.builder("acme")
                                    .name("tiny")
                                    .costUsd(Money.of("0.001"))
                                    .period(LimitPeriod.TOTAL)
                                    .build());
                    keeper.usage()
                            .record(UsageEvent.builder()
                                    .requestId("r1")
                                    .tenant("acme")
                                    .provider("anthropic")
                                    .model("claude-haiku-4-5")
                                    .counts(TokenCounts.of(10_000, 0))
                                    .build());
                    keeper.usage().flush();
                    assertThat(ctx.getBean(Alerts.class).heard)
                            .extracting(LimitAlert::thresholdPercent)
                            .contains(50, 80, 100);
                });
    }

    @Test
    @DisplayName(
            "the rate-limit backend comes from tokenkeeper.rate-limits.*; a missing Redis URI or database() on SQLite fails the start, saying why")
    void rateLimitBackend() {
        runner.withPropertyValues(
                        "tokenkeeper.storage.sqlite-file=" + dir.resolve("r.db"),
                        "tokenkeeper.rate-limits.backend=redis")
                .run(ctx -> assertThat(ctx)
                        .hasFailed()
                        .getFailure()
                        .hasStackTraceContaining("tokenkeeper.rate-limits.redis-uri is required"));
        runner.withPropertyValues(
                        "tokenkeeper.storage.sqlite-file=" + dir.resolve("d.db"),
                        "tokenkeeper.rate-limits.backend=database")
                .run(ctx -> assertThat(ctx)
                        .hasFailed()
                        .getFailure()
                        .hasStackTraceContaining("keeps buckets in PostgreSQL"));
        runner.withPropertyValues(
                        "tokenkeeper.storage.sqlite-file=" + dir.resolve("l.db"),
                        "tokenkeeper.rate-limits.backend=local",
                        "tokenkeeper.rate-limits.failure-policy=fail-closed")
                .run(ctx -> assertThat(
                                ctx.getBean(TokenKeeper.class).rateLimitHealth().backend())
                        .isEqualTo("local"));
    }

    @Test
    @DisplayName("a bad property fails the start with the property named")
    void badProperty() {
        runner.withPropertyValues(
                        "tokenkeeper.storage.sqlite-file=" + dir.resolve("x.db"),
                        "tokenkeeper.unknown-price-policy=WHATEVER")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure().hasStackTraceContaining("unknown-price-policy"));
    }

    @Test
    @DisplayName("Actuator health reports the storage and the ledger; Micrometer meters count the ledger")
    void healthAndMetrics() {
        runner.withPropertyValues("tokenkeeper.storage.sqlite-file=" + dir.resolve("health.db"))
                .withBean(io.micrometer.core.instrument.simple.SimpleMeterRegistry.class)
                .run(ctx -> {
                    TokenKeeper keeper = ctx.getBean(TokenKeeper.class);
                    var health = ctx.getBean(TokenKeeperHealthIndicator.class).health();
                    assertThat(health.getStatus().getCode()).isEqualTo("UP");
                    assertThat(health.getDetails())
                            .containsEntry("backend", "sqlite")
                            .containsEntry("schemaVersion", "14")
                            .containsKey("ledgerQueued")
                            .containsEntry("ledgerLagMs", 0L)
                            .containsEntry("rateLimitBackend", "local")
                            .containsEntry("rateLimitBackendUp", true);

                    var registry = ctx.getBean(io.micrometer.core.instrument.simple.SimpleMeterRegistry.class);
                    ctx.getBean(TokenKeeperMetrics.class).bindTo(registry);
                    keeper.tenants().ensure("acme", "Acme");
                    for (int i = 0; i < 3; i++) {
                        keeper.usage()
                                .record(UsageEvent.builder()
                                        .requestId("m-" + (i % 2))
                                        .tenant("acme")
                                        .provider("anthropic")
                                        .model("claude-haiku-4-5")
                                        .counts(TokenCounts.of(1, 1))
                                        .at(java.time.Instant.parse("2026-11-01T00:00:00Z"))
                                        .build());
                    }
                    keeper.usage().flush();
                    assertThat(registry.get("tokenkeeper.ledger.events")
                                    .tag("result", "written")
                                    .functionCounter()
                                    .count())
                            .isEqualTo(2);
                    assertThat(registry.get("tokenkeeper.ledger.queued").gauge().value())
                            .isZero();
                    assertThat(registry.get("tokenkeeper.ledger.lag").gauge().value())
                            .isZero();
                    assertThat(registry.get("tokenkeeper.permits.open").gauge().value())
                            .isZero();
                });
    }

    @Test
    @DisplayName("decisions, token usage (OpenTelemetry GenAI names), durations, cost and alerts are metered")
    void callMetrics() {
        runner.withPropertyValues("tokenkeeper.storage.sqlite-file=" + dir.resolve("calls.db"))
                .withBean(io.micrometer.core.instrument.simple.SimpleMeterRegistry.class)
                .run(ctx -> {
                    var registry = ctx.getBean(io.micrometer.core.instrument.simple.SimpleMeterRegistry.class);
                    ctx.getBean(TokenKeeperCallMetrics.class).bindTo(registry);
                    TokenKeeper keeper = ctx.getBean(TokenKeeper.class);
                    keeper.tenants().ensure("acme", "Acme");
                    var token = keeper.tokens()
                            .issue(dev.tokenkeeper.tokens.TokenSpec.builder()
                                    .tenant("acme")
                                    .name("metered")
                                    .build());
                    keeper.limits()
                            .create(LimitSpec.builder("acme")
                                    .name("small")
                                    .token(token.info().id())
                                    .tokens(1_800)
                                    .alertThresholds(List.of(50))
                                    .period(LimitPeriod.DAY)
                                    .build());
                    var call = dev.tokenkeeper.admission.CallRequest.of("anthropic", "claude-haiku-4-5", 300, 700);
                    var permit = (dev.tokenkeeper.admission.Permit) keeper.authorize(token.secret(), call);
                    var recorded = permit.complete(TokenCounts.of(300, 650), java.time.Duration.ofMillis(1_500));
                    keeper.usage().flush();
                    var big = dev.tokenkeeper.admission.CallRequest.of("anthropic", "claude-haiku-4-5", 300, 1_000);
                    assertThat(keeper.authorize(token.secret(), big).allowed()).isFalse();
                    assertThat(keeper.checkRequest("tk_nonsense", null).denial())
                            .isNotNull();

                    assertThat(registry.get("tokenkeeper.decisions")
                                    .tags("check", "call", "outcome", "allowed")
                                    .counter()
                                    .count())
                            .isEqualTo(1);
                    assertThat(registry.get("tokenkeeper.decisions")
                                    .tags("check", "call", "reason", "budget_exceeded")
                                    .counter()
                                    .count())
                            .isEqualTo(1);
                    assertThat(registry.get("tokenkeeper.decisions")
                                    .tags("check", "request", "reason", "token_invalid")
                                    .counter()
                                    .count())
                            .isEqualTo(1);
                    var input = registry.get("gen_ai.client.token.usage")
                            .tags(
                                    "gen_ai.token.type",
                                    "input",
                                    "gen_ai.provider.name",
                                    "anthropic",
                                    "gen_ai.request.model",
                                    "claude-haiku-4-5",
                                    "gen_ai.operation.name",
                                    "chat")
                            .summary();
                    assertThat(input.count()).isEqualTo(1);
                    assertThat(input.totalAmount()).isEqualTo(300);
                    var output = registry.get("gen_ai.client.token.usage")
                            .tag("gen_ai.token.type", "output")
                            .summary();
                    assertThat(output.totalAmount()).isEqualTo(650);
                    // the convention's bucket boundaries: 650 output tokens fall in the 1,024 bucket, not in 256
                    var buckets = output.takeSnapshot().histogramCounts();
                    assertThat(buckets).hasSize(TokenKeeperCallMetrics.TOKEN_BUCKETS.length);
                    assertThat(java.util.Arrays.stream(buckets)
                                    .filter(b -> b.bucket() == 256)
                                    .findFirst()
                                    .orElseThrow()
                                    .count())
                            .isZero();
                    assertThat(java.util.Arrays.stream(buckets)
                                    .filter(b -> b.bucket() == 1024)
                                    .findFirst()
                                    .orElseThrow()
                                    .count())
                            .isEqualTo(1);
                    var duration = registry.get("gen_ai.client.operation.duration")
                            .tag("error.type", "none")
                            .timer();
                    assertThat(duration.count()).isEqualTo(1);
                    assertThat(duration.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                            .isEqualTo(1_500);
                    assertThat(registry.get("tokenkeeper.cost")
                                    .tag("gen_ai.request.model", "claude-haiku-4-5")
                                    .counter()
                                    .count())
                            .isEqualTo(recorded.cost().total().amount().doubleValue());
                    assertThat(registry.get("tokenkeeper.limit.alerts")
                                    .tags("kind", "threshold", "threshold", "50")
                                    .counter()
                                    .count())
                            .isEqualTo(1);
                });
    }

    @Test
    @DisplayName("the servlet filter is registered for the configured patterns only when enabled")
    void filterRegistration() {
        var web = new org.springframework.boot.test.context.runner.WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(TokenKeeperAutoConfiguration.class))
                .withPropertyValues("tokenkeeper.storage.sqlite-file=" + dir.resolve("web.db"));
        web.run(ctx -> assertThat(ctx).doesNotHaveBean("tokenKeeperFilter"));
        web.withPropertyValues(
                        "tokenkeeper.filter.enabled=true",
                        "tokenkeeper.filter.url-patterns=/v1/*",
                        "tokenkeeper.filter.error-format=openai")
                .run(ctx -> {
                    org.springframework.boot.web.servlet.FilterRegistrationBean<?> registration = ctx.getBean(
                            "tokenKeeperFilter", org.springframework.boot.web.servlet.FilterRegistrationBean.class);
                    assertThat(registration.getUrlPatterns()).containsExactly("/v1/*");
                    assertThat(registration.getFilter()).isInstanceOf(dev.tokenkeeper.servlet.TokenKeeperFilter.class);
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnKeeper {
        final TokenKeeper keeper;

        OwnKeeper() throws Exception {
            keeper = TokenKeeper.builder()
                    .sqliteFile(Files.createTempDirectory("own").resolve("own.db"))
                    .shutdownHook(false)
                    .build();
        }

        @Bean(destroyMethod = "close")
        TokenKeeper tokenKeeper() {
            return keeper;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Alerts {
        final List<LimitAlert> heard = new CopyOnWriteArrayList<>();

        @Bean
        LimitAlertListener listener() {
            return heard::add;
        }
    }
}
