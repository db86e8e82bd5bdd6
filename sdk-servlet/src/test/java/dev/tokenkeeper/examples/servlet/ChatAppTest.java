package dev.tokenkeeper.examples.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.usage.UsageQuery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The servlet example deployed in an embedded Tomcat and called over HTTP. */
@DisplayName("servlet example application in Tomcat")
class ChatAppTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("verifies the caller, admits and records each call, and refuses in OpenAI's format past the budget")
    void serves() throws Exception {
        Path db = dir.resolve("chat.db");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        tomcat.setPort(0);
        Context ctx = tomcat.addContext("", dir.toString());
        ctx.addParameter("tokenkeeper.sqlite-file", db.toString());
        ctx.addApplicationListener(ChatApp.class.getName());
        tomcat.getConnector();
        tomcat.start();
        IssuedToken token;
        long calls = 0;
        try {
            int port = tomcat.getConnector().getLocalPort();
            TokenKeeper keeper = (TokenKeeper) ctx.getServletContext().getAttribute(TokenKeeper.class.getName());
            keeper.tenants().ensure("acme", "Acme");
            token = keeper.tokens()
                    .issue(TokenSpec.builder().tenant("acme").name("app").build());
            // a dollar budget: gpt-4o-mini at $0.15 / $0.60 per million tokens
            keeper.limits()
                    .create(LimitSpec.builder("acme")
                            .name("daily $")
                            .token(token.info().id())
                            .costUsd(Money.of("0.0002"))
                            .period(LimitPeriod.DAY)
                            .build());
            HttpClient http = HttpClient.newHttpClient();
            String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"" + "y".repeat(396) + "\"}]}";
            HttpRequest.Builder call = HttpRequest.newBuilder(
                            URI.create("http://localhost:" + port + "/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));

            HttpResponse<String> anonymous = http.send(call.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.body()).contains("\"error\"").doesNotContain("tk_");

            HttpRequest authed =
                    call.header("Authorization", "Bearer " + token.secret()).build();
            HttpResponse<String> r;
            while ((r = http.send(authed, HttpResponse.BodyHandlers.ofString())).statusCode() == 200) {
                assertThat(r.body()).contains("You wrote 397 characters.");
                calls++;
            }
            // each call uses 100 input + 6 output tokens = $0.0000186 and reserves 100 + 100 = $0.000075:
            // after 6 calls 0.0001116 + 0.000075 fits in $0.0002; after 7, 0.0001302 + 0.000075 does not
            assertThat(calls).isEqualTo(7);
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).contains("\"code\":\"budget_exceeded\"").contains("\"type\"");
        } finally {
            tomcat.stop(); // the listener closes the keeper
            tomcat.destroy();
        }
        try (TokenKeeper reopened =
                TokenKeeper.builder().sqliteFile(db).shutdownHook(false).build()) {
            var totals = reopened.usage()
                    .totals(UsageQuery.builder(
                                    "acme",
                                    Instant.now().minusSeconds(86_400),
                                    Instant.now().plusSeconds(60))
                            .token(token.info().id())
                            .build());
            assertThat(totals.requests()).isEqualTo(calls);
            assertThat(totals.inputTokens()).isEqualTo(calls * 100);
        }
    }
}
