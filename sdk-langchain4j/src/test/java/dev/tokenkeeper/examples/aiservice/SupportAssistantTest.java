package dev.tokenkeeper.examples.aiservice;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.traces.Trace;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.CallOutcome;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The AI Service example against an OpenAI-compatible server inside the test. */
@DisplayName("LangChain4j AI Service example")
class SupportAssistantTest {
    @TempDir
    Path dir;

    static final String COMPLETION = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Restart the router."},
                         "finish_reason":"stop"}],
             "usage":{"prompt_tokens":40,"completion_tokens":8,"total_tokens":48}}""";

    @Test
    @DisplayName("answers each user within that user's budget, and says why once the budget is used up")
    void answersWithinBudgets() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            exchange.getRequestBody().readAllBytes();
            calls.incrementAndGet();
            byte[] out = COMPLETION.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        server.start();
        try (TokenKeeper keeper =
                TokenKeeper.builder().sqliteFile(dir.resolve("assistant.db")).build()) {
            keeper.tenants().ensure("acme", "Acme");
            IssuedToken alice = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant("acme")
                            .name("alice")
                            .user("alice")
                            .build());
            IssuedToken bob = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant("acme")
                            .name("bob")
                            .user("bob")
                            .build());
            // Bob may spend 350 tokens a day: a call reserves its prompt's estimate (about 11) + 300
            keeper.limits()
                    .create(LimitSpec.builder("acme")
                            .name("bob daily")
                            .user("bob")
                            .tokens(350)
                            .period(LimitPeriod.DAY)
                            .build());
            SupportAssistant assistant = new SupportAssistant(
                    keeper, "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "sk-test");

            assertThat(assistant.answer(alice.secret(), "My internet is down")).isEqualTo("Restart the router.");
            assertThat(assistant.answer(bob.secret(), "Mine too")).isEqualTo("Restart the router.");
            // Bob has used 48 tokens: 302 left, less than the next call's reservation
            assertThat(assistant.answer(bob.secret(), "Still down")).startsWith("Your assistant budget is used up");
            assertThat(calls).hasValue(2); // the refused call never reached the provider

            keeper.usage().flush();
            List<Trace> traces = keeper.traces()
                    .list(TraceQuery.builder("acme")
                            .outcome(CallOutcome.SUCCESS)
                            .build())
                    .items();
            assertThat(traces).extracting(Trace::userId).containsExactlyInAnyOrder("alice", "bob");
            // the refusal is a trace of its own, with no usage
            assertThat(keeper.traces()
                            .list(TraceQuery.builder("acme")
                                    .outcome(CallOutcome.DENIED)
                                    .build())
                            .items())
                    .singleElement()
                    .satisfies(t -> assertThat(t.userId()).isEqualTo("bob"));
            assertThat(traces).allSatisfy(t -> {
                assertThat(t.model()).isEqualTo("gpt-4o-mini");
                assertThat(t.counts().input()).isEqualTo(40);
                assertThat(t.counts().output()).isEqualTo(8);
                assertThat(t.cost().total().toPicosExact()).isPositive();
            });
        } finally {
            server.stop(0);
        }
    }
}
