package dev.tokenkeeper.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.usage.UsageQuery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The Spring Boot example, booted for real: embedded Tomcat, the starter's filter, Actuator. */
@DisplayName("Spring Boot example application, booted")
class ChatApplicationTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(int port, String secret, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (secret != null) {
            b.header("Authorization", "Bearer " + secret);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName(
            "authenticates, admits against the budget, records usage, reports health and metrics, flushes on shutdown")
    void boots() throws Exception {
        Path db = dir.resolve("chat.db");
        String prompt = "x".repeat(400); // estimated and billed as 101 input tokens
        String body = "{\"model\":\"gpt-4o-mini\",\"prompt\":\"" + prompt + "\",\"maxTokens\":100}";
        IssuedToken token;
        int calls = 0;
        try (ConfigurableApplicationContext ctx = SpringApplication.run(
                ChatApplication.class,
                "--spring.config.name=chat-example",
                "--server.port=0",
                "--tokenkeeper.storage.sqlite-file=" + db)) {
            int port = Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port"));
            TokenKeeper keeper = ctx.getBean(TokenKeeper.class);
            keeper.tenants().ensure("acme", "Acme");
            token = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant("acme")
                            .name("chat-client")
                            .build());
            keeper.limits()
                    .create(LimitSpec.builder("acme")
                            .name("daily")
                            .token(token.info().id())
                            .tokens(1_000)
                            .period(LimitPeriod.DAY)
                            .build());

            HttpResponse<String> anonymous = post(port, null, body);
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("Content-Type"))
                    .get()
                    .asString()
                    .startsWith("application/problem+json");
            assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
                    .get()
                    .asString()
                    .startsWith("Bearer");

            // each call reserves 101 + 100 and uses 101 + 6 = 107 tokens
            HttpResponse<String> ok = post(port, token.secret(), body);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("You wrote 400 characters.").contains("requestId");
            calls++;
            HttpResponse<String> last = ok;
            while (last.statusCode() == 200) {
                last = post(port, token.secret(), body);
                if (last.statusCode() == 200) {
                    calls++;
                }
            }
            assertThat(calls).isEqualTo(8); // 7 × 107 + 201 = 950 fits; 8 × 107 + 201 = 1,057 does not
            assertThat(last.statusCode()).isEqualTo(403);
            assertThat(last.body()).contains("\"code\":\"budget_exceeded\"");

            HttpResponse<String> health = get(port, "/actuator/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"tokenkeeper\"").contains("\"backend\":\"sqlite\"");
            HttpResponse<String> tokens =
                    get(port, "/actuator/metrics/gen_ai.client.token.usage?tag=gen_ai.token.type:output");
            assertThat(tokens.statusCode()).isEqualTo(200);
            assertThat(tokens.body()).contains("\"statistic\":\"TOTAL\",\"value\":" + (calls * 6) + ".0");
            HttpResponse<String> decisions =
                    get(port, "/actuator/metrics/tokenkeeper.decisions?tag=reason:budget_exceeded");
            assertThat(decisions.statusCode()).isEqualTo(200);
            assertThat(decisions.body()).contains("\"value\":1.0");
        } // the context closes: the keeper flushes its ledger

        try (TokenKeeper reopened = TokenKeeper.builder().sqliteFile(db).build()) {
            var totals = reopened.usage()
                    .totals(UsageQuery.builder(
                                    "acme",
                                    Instant.now().minusSeconds(86_400),
                                    Instant.now().plusSeconds(60))
                            .token(token.info().id())
                            .build());
            assertThat(totals.requests()).isEqualTo(calls);
            assertThat(totals.inputTokens()).isEqualTo(calls * 101L);
            assertThat(totals.outputTokens()).isEqualTo(calls * 6L);
        }
    }
}
