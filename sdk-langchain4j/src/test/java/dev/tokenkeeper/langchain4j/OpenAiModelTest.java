package dev.tokenkeeper.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.traces.Trace;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LangChain4j's real OpenAI models (langchain4j-open-ai) pointed at an OpenAI-compatible HTTP server
 * inside the test, plain and streaming, behind the decorators.
 */
@DisplayName("LangChain4j OpenAI models behind the decorators")
class OpenAiModelTest {
    @TempDir
    Path dir;

    HttpServer server;
    String baseUrl;
    TokenKeeper keeper;
    IssuedToken token;

    static final String COMPLETION = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o",
             "choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,
                      "prompt_tokens_details":{"cached_tokens":20},
                      "completion_tokens_details":{"reasoning_tokens":5}}}""";

    static String chunk(String content) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}\n\n";
    }

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean stream = body.matches("(?s).*\"stream\"\s*:\s*true.*");
            boolean cut = body.contains("please cut");
            if (!stream) {
                byte[] out = COMPLETION.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, out.length);
                exchange.getResponseBody().write(out);
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream o = exchange.getResponseBody();
            o.write(chunk("hel").getBytes(StandardCharsets.UTF_8));
            o.write(chunk("lo!").getBytes(StandardCharsets.UTF_8));
            o.flush();
            if (cut) {
                // the connection breaks midway, in the middle of an event
                o.write("data: {\"id\":\"c1\",\"choi\n\n".getBytes(StandardCharsets.UTF_8));
                exchange.close();
                return;
            }
            o.write(("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                            + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            o.write(("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                            + "\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,"
                            + "\"total_tokens\":14}}\n\ndata: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        server.start();
        baseUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("openai.db"))
                .shutdownHook(false)
                .build();
        keeper.tenants().ensure("acme", "Acme");
        token = keeper.tokens()
                .issue(TokenSpec.builder().tenant("acme").name("agent").build());
    }

    @AfterEach
    void stop() {
        server.stop(0);
        keeper.close();
    }

    List<Trace> traces() {
        keeper.usage().flush();
        return keeper.traces().list(TraceQuery.builder("acme").build()).items();
    }

    ChatRequest ask(String text) {
        return ChatRequest.builder()
                .messages(UserMessage.from(text))
                .maxOutputTokens(200)
                .build();
    }

    @Test
    @DisplayName("a plain call records OpenAI's usage with cached and reasoning tokens split out")
    void plain() {
        ChatModel openAi = OpenAiChatModel.builder()
                .baseUrl(baseUrl)
                .apiKey("sk-test")
                .modelName("gpt-4o")
                .build();
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, openAi)
                .secret(token.secret())
                .build();
        assertThat(guarded.chat(ask("hello")).aiMessage().text()).isEqualTo("hi there");
        assertThat(traces()).singleElement().satisfies(t -> {
            assertThat(t.provider()).isEqualTo("openai");
            assertThat(t.model()).isEqualTo("gpt-4o");
            assertThat(t.counts().input()).isEqualTo(100);
            assertThat(t.counts().cachedInput()).isEqualTo(20);
            assertThat(t.counts().output()).isEqualTo(25);
            assertThat(t.counts().reasoning()).isEqualTo(5);
            assertThat(t.source()).isEqualTo(UsageSource.REPORTED);
        });
    }

    @Test
    @DisplayName("a refused call never reaches the server")
    void refused() {
        keeper.limits()
                .create(LimitSpec.builder("acme")
                        .name("tiny")
                        .token(token.info().id())
                        .tokens(10)
                        .period(LimitPeriod.DAY)
                        .build());
        ChatModel openAi = OpenAiChatModel.builder()
                .baseUrl(baseUrl)
                .apiKey("sk-test")
                .modelName("gpt-4o")
                .build();
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, openAi)
                .secret(token.secret())
                .build();
        assertThatThrownBy(() -> guarded.chat(ask("hello"))).isInstanceOf(TokenKeeperDeniedException.class);
        assertThat(traces())
                .singleElement()
                .satisfies(
                        t -> { // the refusal, with no usage
                            assertThat(t.outcome()).isEqualTo(CallOutcome.DENIED);
                            assertThat(t.counts().total()).isZero();
                        });
    }

    @Test
    @DisplayName("a stream records the final usage; a stream cut short records what was seen as PARTIAL")
    void streaming() throws Exception {
        StreamingChatModel openAi = OpenAiStreamingChatModel.builder()
                .baseUrl(baseUrl)
                .apiKey("sk-test")
                .modelName("gpt-4o")
                .build();
        StreamingChatModel guarded = TokenKeeperStreamingChatModel.builder(keeper, openAi)
                .secret(token.secret())
                .build();
        assertThat(stream(guarded, ask("hello")).get(20, TimeUnit.SECONDS)).isEqualTo("hello!");
        CompletableFuture<String> cut = stream(guarded, ask("please cut"));
        assertThat(cut).failsWithin(20, TimeUnit.SECONDS);
        assertThat(traces())
                .hasSize(2)
                .anySatisfy(t -> {
                    assertThat(t.source()).isEqualTo(UsageSource.REPORTED);
                    assertThat(t.counts().input()).isEqualTo(12);
                    assertThat(t.counts().output()).isEqualTo(2);
                })
                .anySatisfy(t -> {
                    assertThat(t.source()).isEqualTo(UsageSource.PARTIAL);
                    assertThat(t.counts().output()).isEqualTo(2); // "hello!": 6 characters, about 2 tokens
                    assertThat(t.counts().input()).isPositive(); // the estimate: never zero
                });
    }

    @Test
    @DisplayName("the documentation's snippets: both decorators, one with a run, and the observing listener")
    void docSnippets() throws Exception {
        ChatModel openAiChatModel = OpenAiChatModel.builder()
                .baseUrl(baseUrl)
                .apiKey("sk-test")
                .modelName("gpt-4o")
                .build();
        StreamingChatModel openAiStreamingModel = OpenAiStreamingChatModel.builder()
                .baseUrl(baseUrl)
                .apiKey("sk-test")
                .modelName("gpt-4o")
                .build();
        String callerToken = token.secret();
        String agentRunId = "run-7";
        // tag::langchain4j-decorators[]
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, openAiChatModel)
                .secret(callerToken) // the caller's TokenKeeper API token: whose limits apply
                .run(agentRunId) // optional: the run's own budget applies too
                .build();

        StreamingChatModel guardedStream = TokenKeeperStreamingChatModel.builder(keeper, openAiStreamingModel)
                .secret(callerToken) // the same settings as above, from the same DecoratorBuilder
                .build();
        // end::langchain4j-decorators[]
        assertThat(guarded.chat(ask("hello")).aiMessage().text()).isEqualTo("hi there");
        assertThat(stream(guardedStream, ask("hello")).get(20, TimeUnit.SECONDS))
                .isEqualTo("hello!");
        assertThat(traces()).hasSize(2).anySatisfy(t -> assertThat(t.metadata()).containsEntry("run_id", agentRunId));

        String tokenId = token.info().id();
        String userId = "alice";
        String projectId = "search";
        ChatModel observed =
                // tag::langchain4j-listener[]
                OpenAiChatModel.builder()
                        .baseUrl(baseUrl)
                        .apiKey("sk-test")
                        .modelName("gpt-4o")
                        .listeners(List.of(new TokenKeeperUsageListener(keeper, "acme", tokenId, userId, projectId)))
                        .build();
        // end::langchain4j-listener[]
        observed.chat(ask("hello"));
        assertThat(traces()).hasSize(3).anySatisfy(t -> {
            assertThat(t.userId()).isEqualTo(userId);
            assertThat(t.projectId()).isEqualTo(projectId);
            assertThat(t.counts().output()).isEqualTo(25);
        });
    }

    static CompletableFuture<String> stream(StreamingChatModel model, ChatRequest request) {
        CompletableFuture<String> done = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        model.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                text.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(text.toString());
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return done;
    }
}
