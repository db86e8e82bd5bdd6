package dev.tokenkeeper.examples.aiservice;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.langchain4j.TokenKeeperChatModel;
import dev.tokenkeeper.langchain4j.TokenKeeperContext;
import dev.tokenkeeper.langchain4j.TokenKeeperDeniedException;

/**
 * A LangChain4j AI Service shared by all users of an application, each user calling with their own
 * TokenKeeper token: every model call is admitted against that user's limits and recorded with the
 * usage OpenAI reports.
 */
public class SupportAssistant {

    /** The AI Service; LangChain4j implements it. */
    interface Assistant {
        @SystemMessage("You are a concise support assistant.")
        String answer(String question);
    }

    private final Assistant assistant;

    public SupportAssistant(TokenKeeper keeper, String openAiBaseUrl, String openAiApiKey) {
        ChatModel openAi = OpenAiChatModel.builder()
                .baseUrl(openAiBaseUrl)
                .apiKey(openAiApiKey)
                .modelName("gpt-4o-mini")
                .maxTokens(300) // reserved as the call's output estimate
                .build();
        // no fixed secret: the caller is named per call with TokenKeeperContext
        ChatModel guarded = TokenKeeperChatModel.builder(keeper, openAi).build();
        this.assistant = AiServices.create(Assistant.class, guarded);
    }

    /** Answers for the user holding {@code userToken}, within that user's budgets. */
    public String answer(String userToken, String question) {
        try {
            return TokenKeeperContext.callAs(userToken, () -> assistant.answer(question));
        } catch (TokenKeeperDeniedException e) {
            Denial d = e.denial();
            return switch (d.reason()) {
                case RATE_LIMITED ->
                    "Too many questions at once; try again in "
                            + (d.retryAfter() == null
                                    ? "a minute"
                                    : d.retryAfter().toSeconds() + 1 + " s") + ".";
                case BUDGET_EXCEEDED -> "Your assistant budget is used up until " + d.resetAt() + ".";
                default -> "The assistant is not available to you (" + d.reason() + ").";
            };
        }
    }
}
