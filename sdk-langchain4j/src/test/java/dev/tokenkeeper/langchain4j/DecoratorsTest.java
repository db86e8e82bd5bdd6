package dev.tokenkeeper.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.TokenUsage;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.DenialReason;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.testing.CapturedLog;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.traces.Trace;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decorators around stand-in models (real implementations of LangChain4j's interfaces that
 * answer without a provider), over a real TokenKeeper on SQLite.
 */
@DisplayName("LangChain4j decorators")
class DecoratorsTest {
    static final String MODEL = "claude-haiku-4-5";

    @TempDir
    Path dir;

    TokenKeeper keeper;
    IssuedToken token;
    Limit budget;

    /** Answers "hi" and reports 100 input and 50 output tokens; or fails when told to. */
    static final class StandInModel implements ChatModel {
        final AtomicInteger calls = new AtomicInteger();
        final List<dev.langchain4j.model.chat.listener.ChatModelListener> listeners = new ArrayList<>();
        volatile boolean fail;
        volatile TokenUsage usage = new TokenUsage(100, 50);
        volatile Runnable beforeAnswer = () -> {};

        @Override
        public List<dev.langchain4j.model.chat.listener.ChatModelListener> listeners() {
            return listeners;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            calls.incrementAndGet();
            if (fail) {
                throw new IllegalStateException("provider overloaded");
            }
            beforeAnswer.run();
            return ChatResponse.builder()
                    .aiMessage(AiMessage.from("hi"))
                    .tokenUsage(usage)
                    .build();
        }

        @Override
        public ModelProvider provider() {
            return ModelProvider.ANTHROPIC;
        }
    }

    /** Streams "hello", " world", then completes with usage, or fails after the first part, or throws. */
    static final class StandInStreamingModel implements StreamingChatModel {
        volatile boolean failMidway;
        volatile boolean throwAtOnce;
        volatile Runnable beforeEnd = () -> {};

        @Override
        public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
            if (throwAtOnce) {
                throw new IllegalArgumentException("bad request parameters");
            }
            handler.onPartialResponse("hello");
            if (failMidway) {
                handler.onError(new IllegalStateException("connection reset"));
                return;
            }
            handler.onPartialResponse(" world");
            beforeEnd.run();
            handler.onCompleteResponse(ChatResponse.builder()
                    .aiMessage(AiMessage.from("hello world"))
                    .tokenUsage(new TokenUsage(40, 2))
                    .build());
        }

        @Override
        public ModelProvider provider() {
            return ModelProvider.ANTHROPIC;
        }
    }

    static final class Collecting implements StreamingChatResponseHandler {
        final StringBuilder text = new StringBuilder();
        final List<Throwable> errors = new ArrayList<>();
        ChatResponse done;

        @Override
        public void onPartialResponse(String partial) {
            text.append(partial);
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            done = response;
        }

        @Override
        public void onError(Throwable error) {
            errors.add(error);
        }
    }

    @BeforeEach
    void open() {
        keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("lc4j.db"))
                .shutdownHook(false)
                .build();
        keeper.tenants().ensure("acme", "Acme");
        token = keeper.tokens()
                .issue(TokenSpec.builder().tenant("acme").name("agent").build());
        budget = keeper.limits()
                .create(LimitSpec.builder("acme")
                        .name("1k")
                        .token(token.info().id())
                        .tokens(1_000)
                        .period(LimitPeriod.DAY)
                        .build());
    }

    @AfterEach
    void close() {
        keeper.close();
    }

    ChatRequest request(int maxOutput) {
        return ChatRequest.builder()
                .messages(UserMessage.from("hello there, model"))
                .modelName(MODEL)
                .maxOutputTokens(maxOutput)
                .build();
    }

    List<Trace> traces() {
        keeper.usage().flush();
        return keeper.traces().list(TraceQuery.builder("acme").build()).items();
    }

    @Test
    @DisplayName("Anthropic's cache reads and writes, and Gemini's cached content and thinking, are split out")
    void providerCategories() {
        StandInModel model = new StandInModel();
        model.usage = dev.langchain4j.model.anthropic.AnthropicTokenUsage.builder()
                .inputTokenCount(100)
                .outputTokenCount(50)
                .cacheReadInputTokens(300)
                .cacheCreationInputTokens(40)
                .build();
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, model)
                .secret(token.secret())
                .build();
        guarded.chat(request(60));
        // Google reports the cached content inside the prompt count, and thinking beside the output
        model.usage = dev.langchain4j.model.googleai.GoogleAiGeminiTokenUsage.builder()
                .inputTokenCount(200)
                .outputTokenCount(30)
                .cachedContentTokenCount(120)
                .thoughtsTokenCount(70)
                .totalTokenCount(300)
                .build();
        ChatModel gemini = TokenKeeperChatModel.builder(keeper, model)
                .secret(token.secret())
                .provider("google")
                .build();
        gemini.chat(ChatRequest.builder()
                .messages(UserMessage.from("hi"))
                .modelName("gemini-2.5-flash")
                .maxOutputTokens(60)
                .build());
        List<Trace> traces = traces();
        assertThat(traces)
                .extracting(t -> t.counts())
                .containsExactlyInAnyOrder(
                        new dev.tokenkeeper.pricing.TokenCounts(100, 300, 40, 50, 0),
                        new dev.tokenkeeper.pricing.TokenCounts(80, 120, 0, 30, 70));
        // cache reads are priced at their own rate: a tenth of Haiku 4.5's input price
        Trace anthropic = traces.stream()
                .filter(t -> t.provider().equals("anthropic"))
                .findFirst()
                .orElseThrow();
        assertThat(anthropic.cost().split().cachedInput().toPicosExact() * 10)
                .isEqualTo(anthropic.cost().split().input().toPicosExact() * 3);
        assertThat(keeper.limits().usage("acme", budget.id()).used()).isEqualTo(490 + 300);
    }

    @Test
    @DisplayName("a call is admitted, made, and recorded with the provider's usage")
    void records() {
        StandInModel model = new StandInModel();
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, model)
                .secret(token.secret())
                .build();
        assertThat(guarded.chat(request(200)).aiMessage().text()).isEqualTo("hi");
        assertThat(traces()).singleElement().satisfies(t -> {
            assertThat(t.counts().input()).isEqualTo(100);
            assertThat(t.counts().output()).isEqualTo(50);
            assertThat(t.tokenId()).isEqualTo(token.info().id());
            assertThat(t.provider()).isEqualTo("anthropic");
            assertThat(t.model()).isEqualTo(MODEL);
        });
        assertThat(keeper.limits().usage("acme", budget.id()).used()).isEqualTo(150);
        assertThat(keeper.openPermits()).isZero();
    }

    @Test
    @DisplayName("a call over budget throws before reaching the model")
    void denied() {
        StandInModel model = new StandInModel();
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, model)
                .secret(token.secret())
                .build();
        assertThatThrownBy(() -> guarded.chat(request(5_000)))
                .isInstanceOfSatisfying(TokenKeeperDeniedException.class, e -> {
                    assertThat(e.denial().reason()).isEqualTo(DenialReason.BUDGET_EXCEEDED);
                    assertThat(e.denial().limit()).isEqualTo(budget);
                });
        assertThat(model.calls).hasValue(0);
    }

    @Test
    @DisplayName("a failed call is recorded as an error and its exception rethrown")
    void failure() {
        StandInModel model = new StandInModel();
        model.fail = true;
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, model)
                .secret(token.secret())
                .build();
        assertThatThrownBy(() -> guarded.chat(request(100))).hasMessageContaining("provider overloaded");
        assertThat(traces()).singleElement().satisfies(t -> {
            assertThat(t.outcome()).isEqualTo(CallOutcome.ERROR);
            assertThat(t.errorMessage()).contains("provider overloaded");
        });
        assertThat(keeper.openPermits()).isZero();
    }

    @Test
    @DisplayName("a stream is passed through and recorded when it completes, or as partial when it fails")
    void streaming() {
        StandInStreamingModel model = new StandInStreamingModel();
        StreamingChatModel guarded = TokenKeeperStreamingChatModel.builder(keeper, model)
                .secret(token.secret())
                .build();
        Collecting ok = new Collecting();
        guarded.chat(request(100), ok);
        assertThat(ok.text).hasToString("hello world");
        assertThat(ok.done.tokenUsage().totalTokenCount()).isEqualTo(42);

        model.failMidway = true;
        Collecting cut = new Collecting();
        guarded.chat(request(100), cut);
        assertThat(cut.errors).singleElement().satisfies(e -> assertThat(e).hasMessage("connection reset"));

        assertThat(traces())
                .hasSize(2)
                .anySatisfy(t -> {
                    assertThat(t.source()).isEqualTo(UsageSource.PARTIAL);
                    assertThat(t.counts().output()).isEqualTo(2); // "hello": 5 characters, about 2 tokens
                    assertThat(t.counts().input()).isEqualTo(5); // "hello there, model": 18 characters
                })
                .anySatisfy(t -> assertThat(t.counts().input()).isEqualTo(40));

        Collecting refused = new Collecting();
        guarded.chat(request(5_000), refused);
        assertThat(refused.errors).singleElement().isInstanceOf(TokenKeeperDeniedException.class);
        assertThat(refused.text).isEmpty();
    }

    @Test
    @DisplayName("without a fixed secret, the caller comes from TokenKeeperContext (as with AI Services)")
    void contextSubject() {
        ChatModel guarded =
                TokenKeeperChatModel.builder(keeper, new StandInModel()).build();
        ChatResponse r = TokenKeeperContext.callAs(token.secret(), "run-9", () -> guarded.chat(request(100)));
        assertThat(r.aiMessage().text()).isEqualTo("hi");
        assertThat(traces()).singleElement().satisfies(t -> {
            assertThat(t.tokenId()).isEqualTo(token.info().id());
            assertThat(t.metadata()).containsEntry("run_id", "run-9");
        });
        assertThatThrownBy(() -> guarded.chat(request(100)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("TokenKeeperContext");
    }

    @Test
    @DisplayName("a TokenCountEstimator replaces the character heuristic for the input estimate")
    void estimator() {
        dev.langchain4j.model.TokenCountEstimator nineHundred = new dev.langchain4j.model.TokenCountEstimator() {
            @Override
            public int estimateTokenCountInText(String text) {
                return 900;
            }

            @Override
            public int estimateTokenCountInMessage(dev.langchain4j.data.message.ChatMessage message) {
                return 900;
            }

            @Override
            public int estimateTokenCountInMessages(Iterable<dev.langchain4j.data.message.ChatMessage> messages) {
                return 900;
            }
        };
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, new StandInModel())
                .secret(token.secret())
                .tokenCountEstimator(nineHundred)
                .build();
        assertThatThrownBy(() -> guarded.chat(request(200))).isInstanceOf(TokenKeeperDeniedException.class); // 1,100
        assertThat(guarded.chat(request(100)).aiMessage().text()).isEqualTo("hi"); // 1,000
    }

    @Test
    @DisplayName("the observe-only listener records calls without admitting or refusing anything")
    void observeOnly() {
        StandInModel model = new StandInModel();
        model.listeners.add(
                new TokenKeeperUsageListener(keeper, "acme", token.info().id(), "u1", "p1"));
        model.chat(request(50_000)); // far over the budget: recorded, not refused
        model.fail = true;
        assertThatThrownBy(() -> model.chat(request(10))).hasMessageContaining("overloaded");
        assertThat(traces())
                .hasSize(2)
                .anySatisfy(t -> {
                    assertThat(t.counts().input()).isEqualTo(100);
                    assertThat(t.projectId()).isEqualTo("p1");
                })
                .anySatisfy(t -> assertThat(t.outcome()).isEqualTo(CallOutcome.ERROR));
    }

    @Test
    @DisplayName("a streaming model that throws instead of calling onError frees the budget at once")
    void streamingThrowReleases() {
        StandInStreamingModel model = new StandInStreamingModel();
        model.throwAtOnce = true;
        StreamingChatModel guarded = TokenKeeperStreamingChatModel.builder(keeper, model)
                .secret(token.secret())
                .build();
        assertThatThrownBy(() -> guarded.chat(request(900), new Collecting()))
                .hasMessageContaining("bad request parameters");
        assertThat(keeper.openPermits()).isZero();
        assertThat(keeper.limits().usage("acme", budget.id()).reserved()).isZero();
        assertThat(traces())
                .singleElement()
                .satisfies(t -> assertThat(t.outcome()).isEqualTo(CallOutcome.ERROR));
        // the budget is whole again: a call of 900 fits
        model.throwAtOnce = false;
        Collecting ok = new Collecting();
        guarded.chat(request(900), ok);
        assertThat(ok.done).isNotNull();
    }

    @Test
    @DisplayName("when the usage cannot be recorded, the model's answer still reaches the caller")
    void answerSurvivesRecordingFailure() {
        StandInModel model = new StandInModel();
        model.beforeAnswer = keeper::close; // the application shuts down while the call is in flight
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, model)
                .secret(token.secret())
                .build();
        assertThat(guarded.chat(request(100)).aiMessage().text()).isEqualTo("hi");
        assertThat(CapturedLog.lines())
                .anySatisfy(line -> assertThat(line).contains("WARN").contains("could not be recorded"));
    }

    @Test
    @DisplayName("when a stream's usage cannot be recorded, the handler still gets the end of the stream")
    void streamSurvivesRecordingFailure() {
        StandInStreamingModel model = new StandInStreamingModel();
        model.beforeEnd = keeper::close;
        StreamingChatModel guarded = TokenKeeperStreamingChatModel.builder(keeper, model)
                .secret(token.secret())
                .build();
        Collecting handler = new Collecting();
        guarded.chat(request(100), handler);
        assertThat(handler.done).isNotNull();
        assertThat(handler.errors).isEmpty();
        assertThat(CapturedLog.lines()).anySatisfy(line -> assertThat(line).contains("could not be recorded"));
    }

    @Test
    @DisplayName("both decorators are built the same way, and a missing delegate is named")
    void builders() {
        assertThatThrownBy(() -> TokenKeeperStreamingChatModel.builder(keeper, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("delegate");
        assertThatThrownBy(() -> TokenKeeperChatModel.builder(keeper, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("delegate");
        assertThatThrownBy(() ->
                        TokenKeeperChatModel.builder(keeper, new StandInModel()).defaultMaxOutputTokens(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("defaultMaxOutputTokens");
    }
}
