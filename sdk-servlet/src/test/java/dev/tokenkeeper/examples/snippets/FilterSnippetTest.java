package dev.tokenkeeper.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.servlet.ErrorFormat;
import dev.tokenkeeper.servlet.TokenKeeperFilter;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.TokenSpec;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Set;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snippet of {@code docs/servlet.md}, in an embedded Tomcat. */
@DisplayName("servlet documentation snippet")
class FilterSnippetTest {
    @TempDir
    Path dir;

    /** A chat endpoint that reads the caller and admits its LLM call as the snippet does. */
    static final class Chat extends HttpServlet {
        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            if (request.getRequestURI().equals("/v1/health")) { // excluded from the filter: nobody to admit
                response.getWriter().write("ok");
                return;
            }
            long promptTokens = 100;
            long maxTokens = 100;
            // tag::servlet-downstream[]
            // register it like any Filter; downstream code reads the caller ...
            Principal caller = TokenKeeperFilter.principal(request);
            // ... and admits the LLM call it is about to make with the same credential
            Admission a =
                    TokenKeeperFilter.authorize(request, CallRequest.of("openai", "gpt-4o", promptTokens, maxTokens));
            if (a instanceof Denial d) {
                TokenKeeperFilter.respond(
                        request, response, d); // 403 budget_exceeded, 429 rate_limited, ... like the filter
                return;
            }
            // end::servlet-downstream[]
            ((Permit) a).release();
            response.getWriter().write("hello " + caller.tokenId());
        }
    }

    @Test
    @DisplayName(
            "the filter as configured in the docs: scope, excluded path, OpenAI errors; a refused call answered like the filter")
    void filterAsDocumented() throws Exception {
        try (TokenKeeper keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("snippet.db"))
                .shutdownHook(false)
                .build()) {
            keeper.tenants().ensure("acme", "Acme");
            IssuedToken chat = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant("acme")
                            .name("chat")
                            .scopes(Set.of("chat"))
                            .build());
            IssuedToken other = keeper.tokens()
                    .issue(TokenSpec.builder().tenant("acme").name("other").build());
            // tag::servlet-filter[]
            TokenKeeperFilter filter = TokenKeeperFilter.builder(keeper)
                    .includePaths("/v1/**") // default: every path
                    .excludePaths("/v1/health")
                    .requiredScope("chat") // refuse tokens without this scope (optional)
                    .errorFormat(ErrorFormat.OPENAI) // or ANTHROPIC, for provider-compatible paths; default PROBLEM
                    .queryParameter("api_key") // only for EventSource streams: off by default
                    .realm("my-api") // named in WWW-Authenticate (default "tokenkeeper")
                    .build();
            // end::servlet-filter[]
            Tomcat tomcat = new Tomcat();
            tomcat.setBaseDir(dir.resolve("tomcat").toString());
            tomcat.setPort(0);
            Context ctx = tomcat.addContext("", dir.toString());
            Tomcat.addServlet(ctx, "chat", new Chat());
            ctx.addServletMapping("/*", "chat");
            FilterDef def = new FilterDef();
            def.setFilterName("tokenkeeper");
            def.setFilter(filter);
            ctx.addFilterDef(def);
            FilterMap map = new FilterMap();
            map.setFilterName("tokenkeeper");
            map.addURLPattern("/*");
            ctx.addFilterMap(map);
            tomcat.getConnector();
            tomcat.start();
            try {
                int port = tomcat.getConnector().getLocalPort();
                HttpClient http = HttpClient.newHttpClient();
                java.util.function.BiFunction<String, String, HttpResponse<String>> post = (path, secret) -> {
                    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                            .POST(HttpRequest.BodyPublishers.noBody());
                    if (secret != null) {
                        b.header("Authorization", "Bearer " + secret);
                    }
                    try {
                        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                };
                assertThat(post.apply("/v1/chat", chat.secret()).body())
                        .isEqualTo("hello " + chat.info().id());
                assertThat(post.apply("/v1/chat", other.secret()).statusCode()).isEqualTo(403); // no scope chat
                HttpResponse<String> missing = post.apply("/v1/chat", null);
                assertThat(missing.statusCode()).isEqualTo(401);
                assertThat(missing.headers().firstValue("WWW-Authenticate").orElseThrow())
                        .contains("realm=\"my-api\"");
                assertThat(post.apply("/v1/health", null).statusCode()).isEqualTo(200); // excluded
                assertThat(post.apply("/v1/chat?api_key=" + chat.secret(), null).statusCode())
                        .isEqualTo(200);
                keeper.limits()
                        .create(LimitSpec.builder("acme")
                                .name("tiny")
                                .token(chat.info().id())
                                .tokens(10)
                                .period(LimitPeriod.DAY)
                                .build());
                HttpResponse<String> refused = post.apply("/v1/chat", chat.secret());
                assertThat(refused.statusCode()).isEqualTo(403);
                assertThat(refused.body()).contains("\"error\"").contains("budget_exceeded"); // OpenAI's error shape
            } finally {
                tomcat.stop();
                tomcat.destroy();
            }
        }
    }
}
