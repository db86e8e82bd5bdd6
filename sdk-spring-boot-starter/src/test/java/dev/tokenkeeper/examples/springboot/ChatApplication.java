package dev.tokenkeeper.examples.springboot;

import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.servlet.TokenKeeperFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot application whose {@code /v1/chat} endpoint calls an LLM for its callers. With the
 * starter on the classpath and {@code tokenkeeper.filter.enabled=true}, every {@code /v1/*} request
 * needs a TokenKeeper token; the controller admits each LLM call against the caller's budgets and
 * records what the call really used.
 */
@SpringBootApplication
public class ChatApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChatApplication.class, args);
    }

    /** Your provider's client. This stand-in answers with the length of the prompt. */
    @Bean
    LlmClient llmClient() {
        return (model, prompt, maxTokens) ->
                new LlmClient.Reply("You wrote " + prompt.length() + " characters.", prompt.length() / 4 + 1, 6);
    }

    /** The application's own client for its LLM provider. */
    public interface LlmClient {
        Reply chat(String model, String prompt, int maxTokens);

        record Reply(String text, long inputTokens, long outputTokens) {}
    }

    public record ChatRequest(String model, String prompt, int maxTokens) {}

    public record ChatReply(String text, String requestId) {}

    @RestController
    static class ChatController {
        private final LlmClient llm;

        ChatController(LlmClient llm) {
            this.llm = llm;
        }

        @PostMapping("/v1/chat")
        ResponseEntity<ChatReply> chat(
                @RequestBody ChatRequest body, HttpServletRequest request, HttpServletResponse response)
                throws IOException {
            long estimate = body.prompt().length() / 4 + 1; // or a real tokenizer
            Admission admission = TokenKeeperFilter.authorize(
                    request, CallRequest.of("openai", body.model(), estimate, body.maxTokens()));
            if (admission instanceof Denial denial) {
                TokenKeeperFilter.respond(request, response, denial); // 403 or 429, as problem+json
                return null;
            }
            Permit permit = (Permit) admission;
            long started = System.nanoTime();
            try {
                LlmClient.Reply reply = llm.chat(body.model(), body.prompt(), body.maxTokens());
                permit.complete(
                        TokenCounts.of(reply.inputTokens(), reply.outputTokens()),
                        Duration.ofNanos(System.nanoTime() - started));
                return ResponseEntity.ok(new ChatReply(reply.text(), permit.requestId()));
            } catch (RuntimeException e) {
                permit.complete(Completion.failure(
                        TokenCounts.of(0, 0),
                        Duration.ofNanos(System.nanoTime() - started),
                        e.getClass().getSimpleName()));
                throw e;
            }
        }
    }
}
