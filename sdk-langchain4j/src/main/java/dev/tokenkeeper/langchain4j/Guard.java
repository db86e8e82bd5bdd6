package dev.tokenkeeper.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.pricing.TokenCounts;
import java.util.Locale;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What both decorators share: who calls, which model, the estimate, and the admission. */
final class Guard {
    private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

    /** A rough count for an estimate: about four characters of English per token. */
    static final ToLongFunction<ChatRequest> CHARACTERS_OVER_FOUR = r -> {
        long chars = 0;
        for (ChatMessage m : r.messages()) {
            chars += text(m).length();
        }
        return (chars + 3) / 4;
    };

    final TokenKeeper keeper;
    final @Nullable String secret;
    final @Nullable String provider;
    final @Nullable String runId;
    final ToLongFunction<ChatRequest> inputEstimate;
    final long defaultMaxOutputTokens;

    Guard(
            TokenKeeper keeper,
            @Nullable String secret,
            @Nullable String provider,
            @Nullable String runId,
            ToLongFunction<ChatRequest> inputEstimate,
            long defaultMaxOutputTokens) {
        this.keeper = requireNonNull(keeper, "keeper");
        this.secret = secret;
        this.provider = provider;
        this.runId = runId;
        this.inputEstimate = requireNonNull(inputEstimate, "inputEstimate");
        this.defaultMaxOutputTokens = defaultMaxOutputTokens;
    }

    /** Admits the call or throws {@link TokenKeeperDeniedException}. */
    Permit admit(ChatRequest request, @Nullable ModelProvider modelProvider, ChatRequestParameters defaults) {
        String model = request.modelName() != null ? request.modelName() : defaults.modelName();
        if (model == null) {
            throw new IllegalArgumentException("the chat request names no model, and the model has no default");
        }
        Integer max = request.maxOutputTokens() != null ? request.maxOutputTokens() : defaults.maxOutputTokens();
        TokenKeeperContext.Subject subject = TokenKeeperContext.current();
        String who = secret != null ? secret : subject != null ? subject.secret() : null;
        if (who == null) {
            throw new IllegalStateException("no caller: build the decorator with secret(..), or make the call inside"
                    + " TokenKeeperContext.callAs(..)");
        }
        String run = subject != null && subject.runId() != null ? subject.runId() : runId;
        CallRequest call = CallRequest.of(
                        providerId(provider, modelProvider),
                        model,
                        inputEstimate.applyAsLong(request),
                        max != null ? max : defaultMaxOutputTokens)
                .withRun(run);
        Admission a = keeper.authorize(who, call);
        if (a instanceof Denial d) {
            throw new TokenKeeperDeniedException(d);
        }
        return (Permit) a;
    }

    /**
     * Settles the permit; a failure to record is logged, never thrown into the application's call,
     * and leaves no reservation behind.
     */
    static void settle(Permit permit, Completion completion) {
        try {
            permit.complete(completion);
        } catch (RuntimeException e) {
            LOG.warn(
                    "TokenKeeper: the call {} was made but its usage could not be recorded: {}",
                    permit.requestId(),
                    e.toString());
            try {
                permit.release();
            } catch (RuntimeException ignored) {
                // the keeper is gone: the permit's reservations went with it
            }
        }
    }

    static String providerId(@Nullable String fixed, @Nullable ModelProvider p) {
        if (fixed != null) {
            return fixed;
        }
        if (p == null) {
            throw new IllegalArgumentException("the model names no provider: set one on the decorator");
        }
        return switch (p) {
            case OPEN_AI, AZURE_OPEN_AI -> "openai";
            case ANTHROPIC -> "anthropic";
            case GOOGLE_AI_GEMINI, GOOGLE_GENAI, GOOGLE_VERTEX_AI_GEMINI -> "google";
            case MISTRAL_AI -> "mistral";
            default -> p.name().toLowerCase(Locale.ROOT).replace('_', '-');
        };
    }

    /**
     * The provider's reported counts, with the providers' finer categories split out where
     * LangChain4j's provider modules report them (their usage types are read by name, so that no
     * provider module is needed here):
     *
     * <ul>
     *   <li>OpenAI ({@code OpenAiTokenUsage}): prompt tokens include the cached ones, completion
     *       tokens the reasoning ones;
     *   <li>Anthropic ({@code AnthropicTokenUsage}): input tokens exclude cache reads and cache
     *       writes, which are reported beside them;
     *   <li>Google Gemini ({@code GoogleAiGeminiTokenUsage}): the prompt count includes the cached
     *       content; thinking tokens are reported beside the candidates' tokens.
     * </ul>
     */
    static TokenCounts counts(@Nullable TokenUsage u) {
        if (u == null) {
            return TokenCounts.NONE;
        }
        long in = u.inputTokenCount() == null ? 0 : u.inputTokenCount();
        long out = u.outputTokenCount() == null ? 0 : u.outputTokenCount();
        switch (u.getClass().getName()) {
            case "dev.langchain4j.model.openai.OpenAiTokenUsage" -> {
                long cached = Math.min(in, detail(u, "inputTokensDetails", "cachedTokens"));
                long reasoning = Math.min(out, detail(u, "outputTokensDetails", "reasoningTokens"));
                return new TokenCounts(in - cached, cached, 0, out - reasoning, reasoning);
            }
            case "dev.langchain4j.model.anthropic.AnthropicTokenUsage" -> {
                return new TokenCounts(
                        in, count(u, "cacheReadInputTokens"), count(u, "cacheCreationInputTokens"), out, 0);
            }
            case "dev.langchain4j.model.googleai.GoogleAiGeminiTokenUsage" -> {
                long cached = Math.min(in, count(u, "cachedContentTokenCount"));
                return new TokenCounts(in - cached, cached, 0, out, count(u, "thoughtsTokenCount"));
            }
            default -> {
                return TokenCounts.of(in, out);
            }
        }
    }

    /** {@code u.first().second()} as a number, or 0 when absent. */
    private static long count(Object u, String method) {
        try {
            Object n = u.getClass().getMethod(method).invoke(u);
            return n instanceof Number number ? Math.max(0, number.longValue()) : 0;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return 0;
        }
    }

    private static long detail(Object u, String first, String second) {
        try {
            Object details = u.getClass().getMethod(first).invoke(u);
            if (details == null) {
                return 0;
            }
            Object n = details.getClass().getMethod(second).invoke(details);
            return n instanceof Number number ? Math.max(0, number.longValue()) : 0;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return 0;
        }
    }

    static TokenCounts counts(ChatResponse r) {
        return counts(r.tokenUsage());
    }

    static String text(ChatMessage m) {
        if (m instanceof SystemMessage s) {
            return s.text();
        }
        if (m instanceof UserMessage u) {
            StringBuilder b = new StringBuilder();
            u.contents().forEach(c -> {
                if (c instanceof TextContent t) {
                    b.append(t.text());
                }
            });
            return b.toString();
        }
        if (m instanceof AiMessage a) {
            return a.text() == null ? "" : a.text();
        }
        if (m instanceof ToolExecutionResultMessage t) {
            return t.text();
        }
        return m.toString();
    }
}
