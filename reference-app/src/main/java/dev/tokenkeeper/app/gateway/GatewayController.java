package dev.tokenkeeper.app.gateway;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.servlet.Credentials;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.VerificationResult;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The gateway's endpoints: OpenAI's {@code /v1/chat/completions}, {@code /v1/responses},
 * {@code /v1/embeddings} and {@code /v1/models}, Anthropic's
 * {@code /v1/messages}. Any other path under {@code /v1} is a 404 in OpenAI's envelope: nothing is
 * ever passed upstream uncounted.
 */
@RestController
public class GatewayController {
    private final Gateway gateway;
    private final Providers providers;
    private final TokenKeeper keeper;
    private final JsonMapper json = JsonMapper.builder().build();

    public GatewayController(Gateway gateway, Providers providers, TokenKeeper keeper) {
        this.gateway = gateway;
        this.providers = providers;
        this.keeper = keeper;
    }

    @PostMapping("/v1/chat/completions")
    void chatCompletions(HttpServletRequest request, HttpServletResponse response) throws IOException {
        gateway.handle(Surface.OPENAI_CHAT, request, response);
    }

    @PostMapping("/v1/responses")
    void responses(HttpServletRequest request, HttpServletResponse response) throws IOException {
        gateway.handle(Surface.OPENAI_RESPONSES, request, response);
    }

    @PostMapping("/v1/embeddings")
    void embeddings(HttpServletRequest request, HttpServletResponse response) throws IOException {
        gateway.handle(Surface.OPENAI_EMBEDDINGS, request, response);
    }

    @PostMapping("/v1/messages")
    void messages(HttpServletRequest request, HttpServletResponse response) throws IOException {
        gateway.handle(Surface.ANTHROPIC_MESSAGES, request, response);
    }

    /** The models this token may call, across providers: listed names (patterns are not models). */
    @GetMapping("/v1/models")
    void models(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!(Credentials.read(request, null) instanceof Credentials.Result.Present p)) {
            Envelope.error(
                    response,
                    false,
                    401,
                    "missing_token",
                    "a TokenKeeper token is required in 'Authorization: Bearer'");
            return;
        }
        VerificationResult v = keeper.tokens().verify(p.secret(), request.getRemoteAddr());
        if (!(v instanceof VerificationResult.Verified verified)) {
            String reason = ((VerificationResult.Rejected) v).reason().name().toLowerCase(Locale.ROOT);
            Envelope.error(response, false, 401, "token_" + reason, "the token was refused: " + reason);
            return;
        }
        Principal principal = verified.principal();
        ObjectNode body = json.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (Providers.Provider provider : providers.all()) {
            for (String model : provider.models()) {
                if (!model.endsWith("*") && principal.allows(provider.name(), model)) {
                    data.addObject()
                            .put("id", model)
                            .put("object", "model")
                            .put("created", 0)
                            .put("owned_by", provider.name());
                }
            }
        }
        response.setContentType("application/json");
        response.getOutputStream().write(body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Every other path under /v1: not a surface of this gateway. */
    @RequestMapping("/v1/**")
    void unknown(HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean anthropic =
                request.getRequestURI().startsWith("/v1/messages") || request.getHeader("anthropic-version") != null;
        Envelope.error(response, anthropic, 404, "unknown_endpoint", "this gateway has no endpoint at this path");
    }
}
