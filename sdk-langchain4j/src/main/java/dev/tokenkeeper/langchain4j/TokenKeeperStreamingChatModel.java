package dev.tokenkeeper.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The streaming counterpart of {@link TokenKeeperChatModel}. A refused call reaches the handler's
 * {@code onError} with a {@link TokenKeeperDeniedException}. A completed stream records the
 * provider's usage; a stream that fails midway records what it used so far as {@code PARTIAL}: the
 * input estimate and the output streamed (characters / 4); a model that throws instead of calling
 * {@code onError} is recorded the same way and its exception rethrown. When recording fails, the
 * handler still gets the answer (or the error): the failure is logged and the permit released. A
 * stream the application abandons without an end releases its reservations when the permit times
 * out. Thread-safe.
 *
 * <pre>{@code
 * StreamingChatModel guarded = TokenKeeperStreamingChatModel.builder(keeper, openAiStreamingModel)
 *         .secret(callerToken).build();
 * }</pre>
 */
public final class TokenKeeperStreamingChatModel implements StreamingChatModel {
    private final StreamingChatModel delegate;
    private final Guard guard;

    private TokenKeeperStreamingChatModel(StreamingChatModel delegate, Guard guard) {
        this.delegate = delegate;
        this.guard = guard;
    }

    /**
     * A builder for the decorator of {@code delegate}.
     *
     * @throws NullPointerException if {@code keeper} or {@code delegate} is null
     */
    public static Builder builder(TokenKeeper keeper, StreamingChatModel delegate) {
        return new Builder(keeper, delegate);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Permit permit;
        try {
            permit = guard.admit(request, delegate.provider(), delegate.defaultRequestParameters());
        } catch (TokenKeeperDeniedException e) {
            handler.onError(e);
            return;
        }
        long input = guard.inputEstimate.applyAsLong(request);
        long start = System.nanoTime();
        AtomicLong streamedChars = new AtomicLong();
        AtomicBoolean settled = new AtomicBoolean();
        try {
            delegate.chat(request, relay(handler, permit, settled, input, start, streamedChars));
        } catch (RuntimeException | Error e) {
            // the model threw instead of calling onError (or the application's handler threw on this
            // thread): settle the call now, unless the relay settled it already
            if (settled.compareAndSet(false, true)) {
                Guard.settle(
                        permit,
                        new Completion(
                                TokenCounts.of(input, (streamedChars.get() + 3) / 4),
                                Duration.ofNanos(System.nanoTime() - start),
                                CallOutcome.ERROR,
                                UsageSource.PARTIAL,
                                String.valueOf(e.getMessage()),
                                Map.of()));
            }
            throw e;
        }
    }

    private static StreamingChatResponseHandler relay(
            StreamingChatResponseHandler handler,
            Permit permit,
            AtomicBoolean settled,
            long input,
            long start,
            AtomicLong streamedChars) {
        return new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                streamedChars.addAndGet(partial.length());
                handler.onPartialResponse(partial);
            }

            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                streamedChars.addAndGet(partial.text().length());
                handler.onPartialResponse(partial, context);
            }

            @Override
            public void onPartialThinking(PartialThinking thinking) {
                handler.onPartialThinking(thinking);
            }

            @Override
            public void onPartialThinking(PartialThinking thinking, PartialThinkingContext context) {
                handler.onPartialThinking(thinking, context);
            }

            @Override
            public void onPartialToolCall(PartialToolCall call) {
                handler.onPartialToolCall(call);
            }

            @Override
            public void onPartialToolCall(PartialToolCall call, PartialToolCallContext context) {
                handler.onPartialToolCall(call, context);
            }

            @Override
            public void onCompleteToolCall(CompleteToolCall call) {
                handler.onCompleteToolCall(call);
            }

            @Override
            public void onUnmappedRawEvent(Object event) {
                handler.onUnmappedRawEvent(event);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                if (settled.compareAndSet(false, true)) {
                    Guard.settle(
                            permit,
                            Completion.success(Guard.counts(response), Duration.ofNanos(System.nanoTime() - start)));
                }
                handler.onCompleteResponse(response);
            }

            @Override
            public void onError(Throwable error) {
                if (settled.compareAndSet(false, true)) {
                    TokenCounts partial = TokenCounts.of(input, (streamedChars.get() + 3) / 4);
                    Guard.settle(
                            permit,
                            new Completion(
                                    partial,
                                    Duration.ofNanos(System.nanoTime() - start),
                                    CallOutcome.ERROR,
                                    UsageSource.PARTIAL,
                                    String.valueOf(error.getMessage()),
                                    Map.of()));
                }
                handler.onError(error);
            }
        };
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

    /** Builder for {@link TokenKeeperStreamingChatModel}: {@link TokenKeeperStreamingChatModel#builder}. */
    public static final class Builder extends DecoratorBuilder<Builder, TokenKeeperStreamingChatModel> {
        private final StreamingChatModel delegate;

        Builder(TokenKeeper keeper, StreamingChatModel delegate) {
            super(keeper);
            this.delegate = requireNonNull(delegate, "delegate");
        }

        @Override
        public TokenKeeperStreamingChatModel build() {
            return new TokenKeeperStreamingChatModel(delegate, guard());
        }
    }
}
