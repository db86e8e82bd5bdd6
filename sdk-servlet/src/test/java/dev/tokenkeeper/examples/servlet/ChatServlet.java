package dev.tokenkeeper.examples.servlet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.servlet.TokenKeeperFilter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * An OpenAI-compatible chat completions endpoint: the filter has verified the caller's token; this
 * servlet admits the LLM call against the caller's budgets, makes it, and records its real usage.
 */
public class ChatServlet extends HttpServlet {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Llm llm;

    /** Your provider's client. */
    public interface Llm {
        Reply chat(String model, String prompt, int maxTokens);

        record Reply(String text, long promptTokens, long completionTokens) {}
    }

    /** A stand-in for a provider: answers with the prompt's length. */
    public static final class EchoLlm implements Llm {
        @Override
        public Reply chat(String model, String prompt, int maxTokens) {
            return new Reply("You wrote " + prompt.length() + " characters.", prompt.length() / 4 + 1, 6);
        }
    }

    public ChatServlet(Llm llm) {
        this.llm = llm;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        JsonNode body = JSON.readTree(request.getInputStream());
        String model = body.path("model").asText();
        StringBuilder prompt = new StringBuilder();
        body.path("messages")
                .forEach(m -> prompt.append(m.path("content").asText()).append('\n'));
        int maxTokens = body.path("max_tokens").asInt(1_024);

        long estimate = prompt.length() / 4 + 1; // or a real tokenizer
        Admission admission =
                TokenKeeperFilter.authorize(request, CallRequest.of("openai", model, estimate, maxTokens));
        if (admission instanceof Denial denial) {
            TokenKeeperFilter.respond(request, response, denial); // in the filter's error format
            return;
        }
        Permit permit = (Permit) admission;
        long started = System.nanoTime();
        Llm.Reply reply;
        try {
            reply = llm.chat(model, prompt.toString(), maxTokens);
        } catch (RuntimeException e) {
            permit.complete(Completion.failure(
                    TokenCounts.of(0, 0),
                    Duration.ofNanos(System.nanoTime() - started),
                    e.getClass().getSimpleName()));
            throw e;
        }
        permit.complete(
                TokenCounts.of(reply.promptTokens(), reply.completionTokens()),
                Duration.ofNanos(System.nanoTime() - started));
        response.setContentType("application/json");
        JSON.writeValue(
                response.getOutputStream(),
                Map.of(
                        "id",
                        permit.requestId(),
                        "object",
                        "chat.completion",
                        "model",
                        model,
                        "choices",
                        new Object[] {
                            Map.of(
                                    "index",
                                    0,
                                    "finish_reason",
                                    "stop",
                                    "message",
                                    Map.of("role", "assistant", "content", reply.text()))
                        },
                        "usage",
                        Map.of(
                                "prompt_tokens",
                                reply.promptTokens(),
                                "completion_tokens",
                                reply.completionTokens(),
                                "total_tokens",
                                reply.promptTokens() + reply.completionTokens())));
    }
}
