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

/**
 * A LangChain4j {@link ChatModel} that asks TokenKeeper before every call and records what the call
 * really used after it: {@code keeper.authorize} with the estimate (input tokens, estimated, plus
 * the request's max output tokens), the call, then {@code complete} with the provider's token usage.
 * A refused call throws {@link TokenKeeperDeniedException} and never reaches the model; a failed
 * call is recorded as an error (with no usage) and its exception rethrown. When recording fails
 * (the keeper closed meanwhile, a full ledger under the {@code REJECT} overflow policy), the model's
 * answer still reaches the caller: the failure is logged, and the permit released. Thread-safe.
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

    /**
     * A builder for the decorator of {@code delegate}.
     *
     * @throws NullPointerException if {@code keeper} or {@code delegate} is null
     */
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
        } catch (RuntimeException | Error e) {
            Guard.settle(
                    permit,
                    Completion.failure(
                            TokenCounts.NONE,
                            Duration.ofNanos(System.nanoTime() - start),
                            String.valueOf(e.getMessage())));
            throw e;
        }
        Guard.settle(permit, Completion.success(Guard.counts(response), Duration.ofNanos(System.nanoTime() - start)));
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

    /** Builder for {@link TokenKeeperChatModel}: {@link TokenKeeperChatModel#builder}. */
    public static final class Builder extends DecoratorBuilder<Builder, TokenKeeperChatModel> {
        private final ChatModel delegate;

        Builder(TokenKeeper keeper, ChatModel delegate) {
            super(keeper);
            this.delegate = requireNonNull(delegate, "delegate");
        }

        @Override
        public TokenKeeperChatModel build() {
            return new TokenKeeperChatModel(delegate, guard());
        }
    }
}
