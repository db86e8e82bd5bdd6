package dev.tokenkeeper.admission;

import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.internal.util.Checks;
import org.jspecify.annotations.Nullable;

/**
 * A call about to be made, as {@code keeper.authorize} needs it: which model, and an estimate that
 * is reserved against every budget that applies until the call completes.
 *
 * @param provider the provider id, such as {@code openai}
 * @param model the model id
 * @param estimatedInputTokens the prompt's tokens, counted or estimated
 * @param maxOutputTokens the most the call may generate (its {@code max_tokens})
 * @param requestId the call's idempotency key, or {@code null} to have one generated
 * @param source where the call comes from (such as a client address), for the audit log, or {@code null}
 * @param runId the agent run or session the call belongs to, whose limits apply too, or {@code null}
 */
public record CallRequest(
        String provider,
        String model,
        long estimatedInputTokens,
        long maxOutputTokens,
        @Nullable String requestId,
        @Nullable String source,
        @Nullable String runId) {
    /** The largest estimate per category: as for recorded token counts. */
    public static final long MAX_TOKENS = 100_000_000L;

    public CallRequest {
        Checks.provider("provider", provider);
        Checks.model("model", model);
        if (estimatedInputTokens < 0 || estimatedInputTokens > MAX_TOKENS) {
            throw new InvalidRequestException("estimatedInputTokens", "must be between 0 and " + MAX_TOKENS);
        }
        if (maxOutputTokens < 0 || maxOutputTokens > MAX_TOKENS) {
            throw new InvalidRequestException("maxOutputTokens", "must be between 0 and " + MAX_TOKENS);
        }
        Checks.optionalIdentifier("requestId", requestId);
        Checks.optionalIdentifier("runId", runId);
    }

    /** A call of {@code model} with the given estimate, without a request id or source. */
    public static CallRequest of(String provider, String model, long estimatedInputTokens, long maxOutputTokens) {
        return new CallRequest(provider, model, estimatedInputTokens, maxOutputTokens, null, null, null);
    }

    public CallRequest withRequestId(String id) {
        return new CallRequest(provider, model, estimatedInputTokens, maxOutputTokens, id, source, runId);
    }

    public CallRequest withSource(@Nullable String newSource) {
        return new CallRequest(provider, model, estimatedInputTokens, maxOutputTokens, requestId, newSource, runId);
    }

    /** The same call as part of an agent run or session, whose limits apply too. */
    public CallRequest withRun(@Nullable String run) {
        return new CallRequest(provider, model, estimatedInputTokens, maxOutputTokens, requestId, source, run);
    }
}
