package dev.tokenkeeper.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageEvent;
import java.time.Duration;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observe-only: records every call of the models it listens to in the usage ledger, without
 * admitting or refusing anything. Add it to a model's listeners.
 *
 * <pre>{@code
 * OpenAiChatModel.builder()...listeners(List.of(new TokenKeeperUsageListener(keeper, "acme", "tok-42", null, null)))
 * }</pre>
 *
 * A recording failure (an unpriced model under the REJECT policy, say) is logged, never thrown
 * into the application's call.
 */
public final class TokenKeeperUsageListener implements ChatModelListener {
    private static final Logger LOG = LoggerFactory.getLogger(TokenKeeperUsageListener.class);
    private static final String STARTED = TokenKeeperUsageListener.class.getName() + ".started";
    private static final String REQUEST_ID = TokenKeeperUsageListener.class.getName() + ".requestId";

    private final TokenKeeper keeper;
    private final String tenantId;
    private final @Nullable String tokenId;
    private final @Nullable String userId;
    private final @Nullable String projectId;
    private final @Nullable String provider;

    /**
     * @param tenantId the tenant the usage belongs to
     * @param tokenId the token to attribute it to, or {@code null}
     * @param userId the user, or {@code null}
     * @param projectId the project, or {@code null}
     */
    public TokenKeeperUsageListener(
            TokenKeeper keeper,
            String tenantId,
            @Nullable String tokenId,
            @Nullable String userId,
            @Nullable String projectId) {
        this(keeper, tenantId, tokenId, userId, projectId, null);
    }

    /** With a fixed provider id instead of the one derived from the model's provider. */
    public TokenKeeperUsageListener(
            TokenKeeper keeper,
            String tenantId,
            @Nullable String tokenId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String provider) {
        this.keeper = requireNonNull(keeper, "keeper");
        this.tenantId = requireNonNull(tenantId, "tenantId");
        this.tokenId = tokenId;
        this.userId = userId;
        this.projectId = projectId;
        this.provider = provider;
    }

    @Override
    public void onRequest(ChatModelRequestContext ctx) {
        ctx.attributes().put(STARTED, System.nanoTime());
        ctx.attributes().put(REQUEST_ID, UUID.randomUUID().toString());
    }

    @Override
    public void onResponse(ChatModelResponseContext ctx) {
        record(
                ctx.chatRequest(),
                ctx.modelProvider(),
                ctx.attributes(),
                Guard.counts(ctx.chatResponse()),
                CallOutcome.SUCCESS,
                null);
    }

    @Override
    public void onError(ChatModelErrorContext ctx) {
        record(
                ctx.chatRequest(),
                ctx.modelProvider(),
                ctx.attributes(),
                TokenCounts.NONE,
                CallOutcome.ERROR,
                String.valueOf(ctx.error().getMessage()));
    }

    private void record(
            ChatRequest request,
            dev.langchain4j.model.@Nullable ModelProvider modelProvider,
            java.util.Map<Object, Object> attributes,
            TokenCounts counts,
            CallOutcome outcome,
            @Nullable String error) {
        try {
            Object started = attributes.get(STARTED);
            Object id = attributes.get(REQUEST_ID);
            Duration latency = started instanceof Long s ? Duration.ofNanos(System.nanoTime() - s) : Duration.ZERO;
            String model = request.modelName() != null ? request.modelName() : "unknown";
            keeper.usage()
                    .record(UsageEvent.builder()
                            .requestId(
                                    id != null
                                            ? id.toString()
                                            : UUID.randomUUID().toString())
                            .tenant(tenantId)
                            .token(tokenId)
                            .user(userId)
                            .project(projectId)
                            .provider(Guard.providerId(provider, modelProvider))
                            .model(model)
                            .counts(counts)
                            .latency(latency)
                            .outcome(outcome)
                            .errorMessage(error)
                            .build());
        } catch (RuntimeException e) {
            LOG.warn("TokenKeeper: could not record a model call of tenant {}: {}", tenantId, e.getMessage());
        }
    }
}
