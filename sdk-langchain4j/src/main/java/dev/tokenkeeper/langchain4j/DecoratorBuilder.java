package dev.tokenkeeper.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.tokenkeeper.TokenKeeper;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The settings both decorators share, for {@link TokenKeeperChatModel#builder} and
 * {@link TokenKeeperStreamingChatModel#builder}. Not thread-safe; the decorator it builds is.
 *
 * @param <B> the concrete builder
 * @param <M> the decorator it builds
 */
public abstract sealed class DecoratorBuilder<B extends DecoratorBuilder<B, M>, M>
        permits TokenKeeperChatModel.Builder, TokenKeeperStreamingChatModel.Builder {
    private final TokenKeeper keeper;
    private @Nullable String secret;
    private @Nullable String provider;
    private @Nullable String runId;
    private ToLongFunction<ChatRequest> inputEstimate = Guard.CHARACTERS_OVER_FOUR;
    private long defaultMaxOutputTokens = 4_096;

    DecoratorBuilder(TokenKeeper keeper) {
        this.keeper = requireNonNull(keeper, "keeper");
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * The caller's TokenKeeper API token: whose limits apply and to whom the usage counts. Without
     * it, the caller is taken from {@link TokenKeeperContext} at each call.
     */
    public B secret(String secret) {
        this.secret = requireNonNull(secret, "secret");
        return self();
    }

    /** The provider id for prices and limits (default: derived from the model's provider). */
    public B provider(@Nullable String provider) {
        this.provider = provider;
        return self();
    }

    /** The agent run or session these calls belong to (its budgets apply too). */
    public B run(@Nullable String runId) {
        this.runId = runId;
        return self();
    }

    /** How to estimate a request's input tokens (default: characters / 4, rounded up). */
    public B inputEstimate(ToLongFunction<ChatRequest> estimate) {
        this.inputEstimate = requireNonNull(estimate, "inputEstimate");
        return self();
    }

    /** Estimates input tokens with LangChain4j's estimator for the model (a real tokenizer). */
    public B tokenCountEstimator(dev.langchain4j.model.TokenCountEstimator estimator) {
        requireNonNull(estimator, "tokenCountEstimator");
        this.inputEstimate = r -> estimator.estimateTokenCountInMessages(r.messages());
        return self();
    }

    /**
     * The output reserved when a request sets no max output tokens (default 4,096).
     *
     * @throws IllegalArgumentException if {@code tokens} is negative
     */
    public B defaultMaxOutputTokens(long tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("defaultMaxOutputTokens must be >= 0, was " + tokens);
        }
        this.defaultMaxOutputTokens = tokens;
        return self();
    }

    Guard guard() {
        return new Guard(keeper, secret, provider, runId, inputEstimate, defaultMaxOutputTokens);
    }

    /** The decorator, with these settings. */
    public abstract M build();
}
