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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
            } else if (path != null
                    && (path.equals("/models") || path.startsWith(MODEL_PREFIX))
                    && "GET".equals(request.getMethod())) {
                models(
                        request,
                        response,
                        anthropic,
                        path.equals("/models") ? null : path.substring(MODEL_PREFIX.length()));
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
            case "/messages/count_tokens" -> Surface.ANTHROPIC_COUNT_TOKENS;
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

    private static final String MODEL_PREFIX = "/models/";

    /** Anthropic's page size when the client names none, and the largest it allows. */
    static final int DEFAULT_PAGE = 20;

    static final int MAX_PAGE = 1000;

    /** A model the token may call, and the provider that serves it. */
    private record Listed(String id, String provider) {}

    /**
     * {@code GET /v1/models} and {@code GET /v1/models/{id}}: the models this token may call, across
     * providers (listed names: patterns are not models), in OpenAI's shape, or in Anthropic's (paged
     * with {@code limit}, {@code after_id}, {@code before_id}) when the request carries
     * {@code anthropic-version}.
     */
    private void models(
            HttpServletRequest request, HttpServletResponse response, boolean anthropic, @Nullable String id)
            throws IOException {
        String secret;
        try {
            secret = Gateway.credential(anthropic, request);
        } catch (Gateway.Refusal r) {
            Envelope.error(response, anthropic, r.status, r.code, String.valueOf(r.getMessage()));
            return;
        }
        VerificationResult v = keeper.tokens().verify(secret, request.getRemoteAddr());
        if (!(v instanceof VerificationResult.Verified verified)) {
            String reason = ((VerificationResult.Rejected) v).reason().name().toLowerCase(Locale.ROOT);
            Envelope.error(response, anthropic, 401, "token_" + reason, "the token was refused: " + reason);
            return;
        }
        List<Listed> models = allowed(verified.principal());
        if (id != null) {
            Listed found =
                    models.stream().filter(m -> m.id().equals(id)).findFirst().orElse(null);
            if (found == null) {
                Envelope.error(
                        response,
                        anthropic,
                        404,
                        "model_not_found",
                        "no model '" + Gateway.printable(id) + "' that this token may call");
                return;
            }
            write(response, model(JSON.createObjectNode(), found, anthropic));
            return;
        }
        if (!anthropic) {
            ObjectNode body = JSON.createObjectNode().put("object", "list");
            ArrayNode data = body.putArray("data");
            models.forEach(m -> model(data.addObject(), m, false));
            write(response, body);
            return;
        }
        ObjectNode page;
        try {
            page = page(models, request);
        } catch (IllegalArgumentException e) {
            Envelope.error(response, true, 400, "invalid_request", String.valueOf(e.getMessage()));
            return;
        }
        write(response, page);
    }

    /**
     * The listed names, each with the provider a call naming it is routed to (the first that lists it:
     * see {@link Providers#route}), that this token may call there.
     */
    private List<Listed> allowed(Principal principal) {
        Set<String> routed = new HashSet<>();
        List<Listed> allowed = new ArrayList<>();
        for (Providers.Provider provider : providers.all()) {
            for (String model : provider.models()) {
                if (!model.endsWith("*")
                        && routed.add(model.toLowerCase(Locale.ROOT))
                        && principal.allows(provider.name(), model)) {
                    allowed.add(new Listed(model, provider.name()));
                }
            }
        }
        return allowed;
    }

    private static ObjectNode model(ObjectNode node, Listed m, boolean anthropic) {
        if (anthropic) {
            // Anthropic's ModelInfo; the release date is not known here, for which its API gives the epoch
            return node.put("type", "model")
                    .put("id", m.id())
                    .put("display_name", m.id())
                    .put("created_at", "1970-01-01T00:00:00Z");
        }
        return node.put("id", m.id()).put("object", "model").put("created", 0).put("owned_by", m.provider());
    }

    /** One page of Anthropic's list: {@code limit} models after {@code after_id}, or before {@code before_id}. */
    private static ObjectNode page(List<Listed> models, HttpServletRequest request) {
        String limitParam = request.getParameter("limit");
        int limit = DEFAULT_PAGE;
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                limit = 0;
            }
            if (limit < 1 || limit > MAX_PAGE) {
                throw new IllegalArgumentException("limit: must be a whole number from 1 to " + MAX_PAGE);
            }
        }
        String after = request.getParameter("after_id");
        String before = request.getParameter("before_id");
        if (after != null && before != null) {
            throw new IllegalArgumentException("after_id and before_id cannot be given together");
        }
        int from;
        int to;
        boolean more;
        if (before != null) {
            to = indexOf(models, before, "before_id");
            from = Math.max(0, to - limit);
            more = from > 0;
        } else {
            from = after == null ? 0 : indexOf(models, after, "after_id") + 1;
            to = Math.min(models.size(), from + limit);
            more = to < models.size();
        }
        ObjectNode body = JSON.createObjectNode();
        ArrayNode data = body.putArray("data");
        List<Listed> slice = models.subList(from, to);
        slice.forEach(m -> model(data.addObject(), m, true));
        body.put("has_more", more);
        if (slice.isEmpty()) {
            body.putNull("first_id").putNull("last_id");
        } else {
            body.put("first_id", slice.get(0).id())
                    .put("last_id", slice.get(slice.size() - 1).id());
        }
        return body;
    }

    private static int indexOf(List<Listed> models, String id, String param) {
        for (int i = 0; i < models.size(); i++) {
            if (models.get(i).id().equals(id)) {
                return i;
            }
        }
        throw new IllegalArgumentException(param + ": no model '" + Gateway.printable(id) + "' in this list");
    }

    private static void write(HttpServletResponse response, ObjectNode body) throws IOException {
        response.setContentType("application/json");
        response.getOutputStream().write(body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
