package dev.tokenkeeper.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.pricing.TokenCounts;
import java.time.Duration;
import java.util.Set;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * A LangChain4j {@link ChatModel} that asks TokenKeeper before every call and records what the call
 * really used after it: {@code keeper.authorize} with the estimate (input tokens, estimated, plus
 * the request's max output tokens), the call, then {@code complete} with the provider's token usage.
 * A refused call throws {@link TokenKeeperDeniedException} and never reaches the model; a failed
 * call is recorded as an error (with no usage) and its exception rethrown.
 *
 * <pre>{@code
 * ChatModel guarded = TokenKeeperChatModel.builder(keeper, openAiModel).secret(callerToken).build();
 * }</pre>
 */
public final class TokenKeeperChatModel implements ChatModel {
    private final ChatModel delegate;
    private final Guard guard;

    private TokenKeeperChatModel(ChatModel delegate, Guard guard) {
        this.delegate = delegate;
        this.guard = guard;
    }

    public static Builder builder(TokenKeeper keeper, ChatModel delegate) {
        return new Builder(keeper, delegate);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        Permit permit = guard.admit(request, delegate.provider(), delegate.defaultRequestParameters());
        long start = System.nanoTime();
        ChatResponse response;
        try {
            response = delegate.chat(request);
        } catch (RuntimeException e) {
            permit.complete(Completion.failure(TokenCounts.NONE, Duration.ofNanos(System.nanoTime() - start),
                    String.valueOf(e.getMessage())));
            throw e;
        }
        permit.complete(Guard.counts(response), Duration.ofNanos(System.nanoTime() - start));
        return response;
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return delegate.defaultRequestParameters();
    }

    @Override
    public ModelProvider provider() {
        return delegate.provider();
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return delegate.supportedCapabilities();
    }

    /** Builder for {@link TokenKeeperChatModel} and {@link TokenKeeperStreamingChatModel}. */
    public static class Builder {
        final TokenKeeper keeper;
        private final @Nullable ChatModel delegate;
        @Nullable String secret;
        @Nullable String provider;
        @Nullable String runId;
        ToLongFunction<ChatRequest> inputEstimate = Guard.CHARACTERS_OVER_FOUR;
        long defaultMaxOutputTokens = 4_096;

        Builder(TokenKeeper keeper, @Nullable ChatModel delegate) {
            this.keeper = requireNonNull(keeper, "keeper");
            this.delegate = delegate;
        }

        /**
         * The caller's TokenKeeper API token: whose limits apply and to whom the usage counts. Without
         * it, the caller is taken from {@link TokenKeeperContext} at each call.
         */
        public Builder secret(String secret) {
            this.secret = requireNonNull(secret, "secret");
            return this;
        }

        /** The provider id for prices and limits (default: derived from the model's provider). */
        public Builder provider(String provider) {
            this.provider = provider;
            return this;
        }

        /** The agent run or session these calls belong to (its budgets apply too). */
        public Builder run(@Nullable String runId) {
            this.runId = runId;
            return this;
        }

        /** How to estimate a request's input tokens (default: characters / 4, rounded up). */
        public Builder inputEstimate(ToLongFunction<ChatRequest> estimate) {
            this.inputEstimate = requireNonNull(estimate, "inputEstimate");
            return this;
        }

        /** Estimates input tokens with LangChain4j's estimator for the model (a real tokenizer). */
        public Builder tokenCountEstimator(dev.langchain4j.model.TokenCountEstimator estimator) {
            requireNonNull(estimator, "tokenCountEstimator");
            this.inputEstimate = r -> estimator.estimateTokenCountInMessages(r.messages());
            return this;
        }

        /** The output reserved when a request sets no max output tokens (default 4,096). */
        public Builder defaultMaxOutputTokens(long tokens) {
            this.defaultMaxOutputTokens = tokens;
            return this;
        }

        Guard guard() {
            return new Guard(keeper, secret, provider, runId, inputEstimate, defaultMaxOutputTokens);
        }

        public TokenKeeperChatModel build() {
            return new TokenKeeperChatModel(requireNonNull(delegate, "delegate"), guard());
        }
    }
}
