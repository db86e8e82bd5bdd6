package dev.tokenkeeper.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The filter in a real servlet container (embedded Tomcat), driven over HTTP. */
@DisplayName("servlet filter in Tomcat")
class TokenKeeperFilterTest {
    static Path dir;
    static TokenKeeper keeper;
    static Tomcat tomcat;
    static int port;
    static IssuedToken plain;
    static IssuedToken chat;
    static IssuedToken limited;
    final HttpClient http = HttpClient.newHttpClient();

    /** Answers with the caller's token id, as the filter left it; on /open/llm, also admits an LLM call. */
    static final class Echo extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            if (req.getRequestURI().endsWith("/health")) {
                resp.getWriter().write("ok");
                return;
            }
            if (req.getRequestURI().endsWith("/llm")) {
                Admission a = TokenKeeperFilter.authorize(req, CallRequest.of("anthropic", "claude-haiku-4-5", 10, 10));
                if (a instanceof Permit p) {
                    p.complete(TokenCounts.of(7, 3), Duration.ofMillis(5));
                    resp.getWriter().write("called");
                } else {
                    TokenKeeperFilter.respond(req, resp, (dev.tokenkeeper.admission.Denial) a);
                }
                return;
            }
            resp.getWriter().write("hello " + TokenKeeperFilter.principal(req).tokenId());
        }
    }

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("tk-filter");
        keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("filter.db"))
                .shutdownHook(false)
                .build();
        keeper.tenants().ensure("acme", "Acme");
        plain = keeper.tokens()
                .issue(TokenSpec.builder().tenant("acme").name("plain").build());
        chat = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("acme")
                        .name("chat")
                        .scopes(Set.of("chat"))
                        .build());
        limited = keeper.tokens()
                .issue(TokenSpec.builder().tenant("acme").name("limited").build());
        keeper.limits()
                .create(LimitSpec.builder("acme")
                        .name("2 rpm")
                        .token(limited.info().id())
                        .requests(2)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());

        tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        tomcat.setPort(0);
        Context ctx = tomcat.addContext("", dir.toString());
        Tomcat.addServlet(ctx, "echo", new Echo());
        ctx.addServletMapping("/*", "echo");
        addFilter(
                ctx,
                "open",
                TokenKeeperFilter.builder(keeper)
                        .queryParameter("api_key")
                        .excludePaths("/open/health")
                        .build(),
                "/open/*");
        addFilter(
                ctx,
                "openai",
                TokenKeeperFilter.builder(keeper)
                        .errorFormat(ErrorFormat.OPENAI)
                        .build(),
                "/openai/*");
        addFilter(
                ctx,
                "anthropic",
                TokenKeeperFilter.builder(keeper)
                        .errorFormat(ErrorFormat.ANTHROPIC)
                        .build(),
                "/anthropic/*");
        addFilter(
                ctx,
                "scoped",
                TokenKeeperFilter.builder(keeper)
                        .realm("chat-api")
                        .requiredScope("chat")
                        .build(),
                "/scoped/*");
        tomcat.getConnector();
        tomcat.start();
        port = tomcat.getConnector().getLocalPort();
    }

    static void addFilter(Context ctx, String name, TokenKeeperFilter filter, String pattern) {
        FilterDef def = new FilterDef();
        def.setFilterName(name);
        def.setFilter(filter);
        ctx.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName(name);
        map.addURLPattern(pattern);
        ctx.addFilterMap(map);
    }

    @AfterAll
    static void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
        keeper.close();
    }

    HttpResponse<String> get(String path, String header, String value) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
        if (header != null) {
            b.header(header, value);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("a missing token gets 401 with the realm and a problem body")
    void missing() throws Exception {
        HttpResponse<String> r = get("/open/x", null, null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"tokenkeeper\"");
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"missing_token\"").contains("\"status\":401");
    }

    @Test
    @DisplayName("a refused token gets 401 with error=\"invalid_token\"; a valid one passes with its principal")
    void tokens() throws Exception {
        HttpResponse<String> bad = get("/open/x", "Authorization", "Bearer tk_not-a-token");
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer realm=\"tokenkeeper\", error=\"invalid_token\"");
        assertThat(bad.body()).contains("\"code\":\"token_invalid\"");

        HttpResponse<String> ok = get("/open/x", "Authorization", "Bearer " + plain.secret());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("hello " + plain.info().id());
        assertThat(get("/open/x", "X-API-Key", plain.secret()).body())
                .isEqualTo("hello " + plain.info().id());
        assertThat(get("/open/x", "api-key", plain.secret()).body())
                .isEqualTo("hello " + plain.info().id());
        assertThat(get("/open/x?api_key=" + plain.secret(), null, null).statusCode())
                .isEqualTo(200);
        assertThat(get("/openai/x?api_key=" + plain.secret(), null, null).statusCode())
                .isEqualTo(401); // not enabled there
        assertThat(bad.body()).doesNotContain("tk_not-a-token");
    }

    @Test
    @DisplayName("excluded paths pass unchecked; the application admits an LLM call with the request's credential")
    void pathsAndPermits() throws Exception {
        assertThat(get("/open/health", null, null).body()).isEqualTo("ok");
        assertThat(get("/open/llm", "Authorization", "Bearer " + plain.secret()).body())
                .isEqualTo("called");
        keeper.usage().flush();
        assertThat(keeper.traces()
                        .list(dev.tokenkeeper.traces.TraceQuery.builder("acme")
                                .token(plain.info().id())
                                .build())
                        .items())
                .singleElement()
                .satisfies(t -> assertThat(t.counts().output()).isEqualTo(3));
    }

    @Test
    @DisplayName("the application answers a refused LLM call like the filter: 403 with the budget's code")
    void budgetRefusal() throws Exception {
        IssuedToken poor = keeper.tokens()
                .issue(TokenSpec.builder().tenant("acme").name("poor").build());
        keeper.limits()
                .create(LimitSpec.builder("acme")
                        .name("tiny")
                        .token(poor.info().id())
                        .tokens(5)
                        .period(LimitPeriod.DAY)
                        .build());
        HttpResponse<String> r = get("/open/llm", "Authorization", "Bearer " + poor.secret());
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("\"code\":\"budget_exceeded\"");
    }

    @Test
    @DisplayName("OpenAI- and Anthropic-compatible paths answer in those providers' error envelopes")
    void providerEnvelopes() throws Exception {
        HttpResponse<String> openai = get("/openai/v1/chat/completions", "Authorization", "Bearer tk_nope");
        assertThat(openai.statusCode()).isEqualTo(401);
        assertThat(openai.body()).startsWith("{\"error\":{\"message\":").contains("\"code\":\"token_invalid\"");
        HttpResponse<String> anthropic = get("/anthropic/v1/messages", null, null);
        assertThat(anthropic.statusCode()).isEqualTo(401);
        assertThat(anthropic.body())
                .isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                        + "\"message\":\"an 'Authorization: Bearer <token>' header is required\"}}");
    }

    @Test
    @DisplayName("a required scope is enforced with 403 insufficient_scope")
    void scope() throws Exception {
        HttpResponse<String> no = get("/scoped/x", "Authorization", "Bearer " + plain.secret());
        assertThat(no.statusCode()).isEqualTo(403);
        assertThat(no.headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer realm=\"chat-api\", error=\"insufficient_scope\", scope=\"chat\"");
        assertThat(get("/scoped/x", "Authorization", "Bearer " + chat.secret()).statusCode())
                .isEqualTo(200);
    }

    @Test
    @DisplayName("per-request rate limits answer 429 with Retry-After")
    void rateLimited() throws Exception {
        for (int i = 0; i < 2; i++) {
            assertThat(get("/open/x", "Authorization", "Bearer " + limited.secret())
                            .statusCode())
                    .isEqualTo(200);
        }
        HttpResponse<String> r = get("/open/x", "Authorization", "Bearer " + limited.secret());
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
                .isBetween(1L, 30L);
        assertThat(r.body()).contains("\"code\":\"rate_limited\"");
        String policy = r.headers().firstValue("RateLimit-Policy").orElseThrow();
        assertThat(policy).matches("\"[0-9a-f-]+\";q=2;w=60");
        assertThat(r.headers().firstValue("RateLimit").orElseThrow())
                .isEqualTo(policy.substring(0, policy.indexOf(';')) + ";r=0;t="
                        + r.headers().firstValue("Retry-After").orElseThrow());
        // other tokens are not held back
        assertThat(get("/open/x", "Authorization", "Bearer " + plain.secret()).statusCode())
                .isEqualTo(200);
    }

    HttpResponse<String> send(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("credentials follow RFC 6750; two of them, or a malformed one, are a 400, never the first one taken")
    void credentialGrammar() throws Exception {
        String token = plain.secret();
        // the scheme in any case, one or more spaces
        assertThat(send("/open/x", "Authorization", "bearer  " + token).statusCode())
                .isEqualTo(200);
        // a tab is not RFC 6750's separator
        HttpResponse<String> tab = send("/open/x", "Authorization", "Bearer\t" + token);
        assertThat(tab.statusCode()).isEqualTo(400);
        assertThat(tab.body()).contains("invalid_credentials");
        assertThat(tab.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(v -> assertThat(v).contains("error=\"invalid_request\""));
        assertThat(send("/open/x", "Authorization", "Basic dXNlcjpwYXNz").statusCode())
                .isEqualTo(400);
        assertThat(send("/open/x", "Authorization", "Bearer " + token + " extra")
                        .statusCode())
                .isEqualTo(400);
        // a valid token and an invalid one: ambiguous, whichever comes first
        HttpResponse<String> two = send("/open/x", "Authorization", "Bearer " + token, "Authorization", "Bearer tk_x");
        assertThat(two.statusCode()).isEqualTo(400);
        assertThat(two.body()).contains("ambiguous_credentials");
        assertThat(send("/open/x", "Authorization", "Bearer " + token, "X-API-Key", chat.secret())
                        .statusCode())
                .isEqualTo(400);
        assertThat(send("/open/x?api_key=" + chat.secret(), "Authorization", "Bearer " + token)
                        .statusCode())
                .isEqualTo(400);
        // the same token twice over is one credential
        assertThat(send("/open/x", "Authorization", "Bearer " + token, "X-API-Key", token)
                        .statusCode())
                .isEqualTo(200);
    }
}
