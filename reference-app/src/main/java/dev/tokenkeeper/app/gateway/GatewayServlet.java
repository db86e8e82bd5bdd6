package dev.tokenkeeper.app.gateway;

import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.VerificationResult;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.Serial;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The gateway's endpoints, a servlet of their own mapped to {@code /v1/*}: OpenAI's
 * {@code /v1/chat/completions}, {@code /v1/responses}, {@code /v1/embeddings} and {@code /v1/models},
 * Anthropic's {@code /v1/messages}. Any other path or method under {@code /v1} is a 404 in the
 * provider's envelope: nothing is ever passed upstream uncounted. The servlet is registered beside
 * Spring MVC's rather than as a controller: a call is a fixed path to a fixed handler, and Spring
 * MVC's handler lookup, argument resolution and response wrapping cost about 6 % of the app's CPU
 * per call at 500 calls a second (async-profiler), for nothing the gateway uses. The servlet
 * filters (security headers, CORS refusal) still run.
 */
public final class GatewayServlet extends HttpServlet {
    @Serial
    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(GatewayServlet.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final transient Gateway gateway;
    private final transient Providers providers;
    private final transient TokenKeeper keeper;

    GatewayServlet(Gateway gateway, Providers providers, TokenKeeper keeper) {
        this.gateway = gateway;
        this.providers = providers;
        this.keeper = keeper;
    }

    /** Registers the servlet at {@code /v1/*}, with the asynchronous mode streams are relayed in. */
    @Configuration(proxyBeanMethods = false)
    static class Registration {
        @Bean
        ServletRegistrationBean<GatewayServlet> gatewayServlet(
                Gateway gateway, Providers providers, TokenKeeper keeper) {
            ServletRegistrationBean<GatewayServlet> bean =
                    new ServletRegistrationBean<>(new GatewayServlet(gateway, providers, keeper), "/v1/*");
            bean.setName("gateway");
            bean.setAsyncSupported(true);
            bean.setLoadOnStartup(1);
            return bean;
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        @Nullable String path = request.getPathInfo();
        boolean post = "POST".equals(request.getMethod());
        @Nullable Surface surface = post ? surface(path) : null;
        boolean anthropic = surface != null
                ? surface.anthropic()
                : (path != null && path.startsWith("/messages")) || request.getHeader("anthropic-version") != null;
        try {
            if (surface != null) {
                gateway.handle(surface, request, response);
            } else if ("/models".equals(path) && "GET".equals(request.getMethod())) {
                models(request, response);
            } else {
                Envelope.error(
                        response, anthropic, 404, "unknown_endpoint", "this gateway has no endpoint at this path");
            }
        } catch (StorageException e) {
            LOG.warn("storage failure in a gateway call: {}", e.getMessage());
            failed(response, anthropic, 503, e.code().id(), "storage is unavailable; retry later");
        } catch (RuntimeException e) {
            LOG.error("unexpected error in a gateway call", e);
            failed(response, anthropic, 500, "internal_error", "an unexpected error occurred");
        }
    }

    private static @Nullable Surface surface(@Nullable String path) {
        if (path == null) {
            return null;
        }
        return switch (path) {
            case "/chat/completions" -> Surface.OPENAI_CHAT;
            case "/responses" -> Surface.OPENAI_RESPONSES;
            case "/embeddings" -> Surface.OPENAI_EMBEDDINGS;
            case "/messages" -> Surface.ANTHROPIC_MESSAGES;
            default -> null;
        };
    }

    private static void failed(HttpServletResponse response, boolean anthropic, int status, String code, String message)
            throws IOException {
        if (!response.isCommitted()) {
            response.resetBuffer();
            Envelope.error(response, anthropic, status, code, message);
        }
    }

    /** The models this token may call, across providers: listed names (patterns are not models). */
    private void models(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String secret;
        try {
            secret = Gateway.credential(false, request);
        } catch (Gateway.Refusal r) {
            Envelope.error(response, false, r.status, r.code, String.valueOf(r.getMessage()));
            return;
        }
        VerificationResult v = keeper.tokens().verify(secret, request.getRemoteAddr());
        if (!(v instanceof VerificationResult.Verified verified)) {
            String reason = ((VerificationResult.Rejected) v).reason().name().toLowerCase(Locale.ROOT);
            Envelope.error(response, false, 401, "token_" + reason, "the token was refused: " + reason);
            return;
        }
        Principal principal = verified.principal();
        ObjectNode body = JSON.createObjectNode().put("object", "list");
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
}
