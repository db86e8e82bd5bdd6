package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitScope;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.UsageEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two instances of the app on one PostgreSQL database, rate limits in the database, on one clock
 * the test moves and with their periodic jobs run by the test: they share tokens, limits, budgets
 * and rate limits; a burst across both against a nearly spent budget does not overshoot it; a
 * revocation on one is honoured by the other at its next token sync.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("two gateway instances on one PostgreSQL")
class ScaleOutTest {
    private final HandClock clock = new HandClock();
    private final HttpClient http = HttpClient.newHttpClient();
    private ConfigurableApplicationContext a;
    private ConfigurableApplicationContext b;

    @BeforeAll
    void start() {
        String url = OnPostgres.jdbcUrl("scaleout");
        a = instance(url);
        b = instance(url);
    }

    private ConfigurableApplicationContext instance(String url) {
        return new SpringApplicationBuilder(ReferenceApplication.class)
                .initializers(ctx -> ctx.getBeanFactory()
                        .registerSingleton(dev.tokenkeeper.spring.TokenKeeperAutoConfiguration.CLOCK_BEAN, clock))
                .run(
                        "--server.port=0",
                        "--tokenkeeper.storage.jdbc-url=" + url,
                        "--tokenkeeper.storage.username=postgres",
                        "--tokenkeeper.admin.password=" + BootedApp.ADMIN_PASSWORD,
                        "--tokenkeeper.background-maintenance=false",
                        "--tokenkeeper.rate-limits.backend=database",
                        "--tokenkeeper.shared-budgets=true");
    }

    @AfterAll
    void stop() {
        b.close();
        a.close();
    }

    private static TokenKeeper keeper(ConfigurableApplicationContext ctx) {
        return ctx.getBean(TokenKeeper.class);
    }

    private static String base(ConfigurableApplicationContext ctx) {
        return "http://localhost:" + ctx.getEnvironment().getProperty("local.server.port");
    }

    /** Moves the shared clock and runs both instances' due periodic jobs (token and limit sync among them). */
    private void sync(Duration d) {
        clock.advance(d);
        keeper(a).runDueMaintenance();
        keeper(b).runDueMaintenance();
    }

    private int chat(ConfigurableApplicationContext ctx, String token, int maxTokens) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base(ctx) + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo\",\"max_tokens\":" + maxTokens
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .build();
        return http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private IssuedToken token(String name) {
        return keeper(a)
                .tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name(name)
                        .role(Role.AGENT)
                        .build());
    }

    @Test
    @DisplayName(
            "a token issued on one instance works on the other; revoked on one, it is refused by the other at its next token sync")
    void tokensAndRevocation() throws Exception {
        IssuedToken t = token("shared");
        assertThat(chat(b, t.secret(), 40)).isEqualTo(200);
        assertThat(chat(a, t.secret(), 40)).isEqualTo(200);
        keeper(a).tokens().revoke("default", t.info().id());
        assertThat(chat(a, t.secret(), 40)).isEqualTo(401);
        sync(Duration.ofSeconds(2)); // the token sync interval is 1 s
        assertThat(chat(b, t.secret(), 40)).isEqualTo(401);
    }

    @Test
    @DisplayName("a burst across both instances against a nearly spent budget does not overshoot it")
    void burstAgainstNearlySpentBudget() throws Exception {
        IssuedToken t = token("burst");
        long amount = 100_000;
        String limit = keeper(a)
                .limits()
                .create(LimitSpec.builder("default")
                        .name("nearly spent")
                        .scope(LimitScope.TOKEN, t.info().id())
                        .amount(LimitMetric.TOKENS, amount)
                        .period(LimitPeriod.DAY)
                        .build())
                .id();
        // spend all but 500 tokens: room for about ten calls of 48 tokens (8 in, at most 40 out)
        keeper(a)
                .usage()
                .record(UsageEvent.builder()
                        .requestId("spent-" + t.info().id())
                        .tenant("default")
                        .token(t.info().id())
                        .provider("demo")
                        .model("demo")
                        .counts(TokenCounts.of(amount - 500, 0))
                        .build());
        keeper(a).flush();
        sync(Duration.ofSeconds(10)); // the limit sync interval is 5 s

        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                ConfigurableApplicationContext instance = i % 2 == 0 ? a : b;
                calls.add(pool.submit(() -> {
                    go.await();
                    return chat(instance, t.secret(), 40);
                }));
            }
            go.countDown();
            // the instances' periodic work (lease recalls among it) runs when the test says: keep it
            // running, in steps of the shared clock, until every call is answered
            while (!calls.stream().allMatch(Future::isDone)) {
                sync(Duration.ofMillis(50));
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            int admitted = 0;
            for (Future<Integer> f : calls) {
                int status = f.get();
                assertThat(status).isIn(200, 403);
                admitted += status == 200 ? 1 : 0;
            }
            keeper(a).flush();
            keeper(b).flush();
            long recorded = keeper(a)
                    .traces()
                    .list(TraceQuery.builder("default")
                            .token(t.info().id())
                            .limit(1000)
                            .build())
                    .items()
                    .stream()
                    .mapToLong(x -> x.counts().totalInput() + x.counts().totalOutput())
                    .sum();
            assertThat(admitted).isBetween(1, 10);
            assertThat(recorded).isLessThanOrEqualTo(amount);
            assertThat(keeper(b).limits().usage("default", limit).used()).isLessThanOrEqualTo(amount);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("a rate limit counts calls on both instances together")
    void sharedRateLimit() throws Exception {
        IssuedToken t = token("rated");
        keeper(a)
                .limits()
                .create(LimitSpec.builder("default")
                        .name("three a minute")
                        .scope(LimitScope.TOKEN, t.info().id())
                        .amount(LimitMetric.REQUESTS, 3)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        sync(Duration.ofSeconds(10));
        assertThat(chat(a, t.secret(), 40)).isEqualTo(200);
        assertThat(chat(b, t.secret(), 40)).isEqualTo(200);
        assertThat(chat(a, t.secret(), 40)).isEqualTo(200);
        assertThat(chat(b, t.secret(), 40)).isEqualTo(429);
    }
}
