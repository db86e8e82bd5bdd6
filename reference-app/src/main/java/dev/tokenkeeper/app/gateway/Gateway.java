package dev.tokenkeeper.app.gateway;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.Completion;
import dev.tokenkeeper.admission.Denial;
import dev.tokenkeeper.admission.Permit;
import dev.tokenkeeper.admission.RateLimitState;
import dev.tokenkeeper.admission.RequestAdmission;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.servlet.Credentials;
import dev.tokenkeeper.servlet.RateLimitFields;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * One LLM call through the gateway: read and check the request, route its model, estimate its input,
 * {@code authorize} it (a refusal is answered before anything goes upstream), call the provider,
 * relay the answer (JSON, or the event stream as it arrives), and {@code complete} the permit with
 * the usage the provider reported. Every path out of a permitted call settles the permit: success,
 * provider error, timeout, a stream the provider cuts, a client that goes away.
 */
@Service
public class Gateway implements DisposableBean {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private final TokenKeeper keeper;
    private final Providers providers;
    private final Estimator estimator;
    private final GatewayProperties.Gateway limits;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Deadlines deadlines = Deadlines.started();

    public Gateway(TokenKeeper keeper, Providers providers, Estimator estimator, GatewayProperties props) {
        this.keeper = keeper;
        this.providers = providers;
        this.estimator = estimator;
        this.limits = props.gateway();
    }

    @Override
    public void destroy() {
        deadlines.close();
    }

    /** A refusal in the surface's envelope. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final String code;
        final transient Map<String, String> headers;

        Refusal(int status, String code, String message) {
            this(status, code, message, Map.of());
        }

        Refusal(int status, String code, String message, Map<String, String> headers) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
            this.headers = headers;
        }
    }

    public void handle(Surface surface, HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            call(surface, request, response);
        } catch (Refusal r) {
            if (!response.isCommitted()) {
                r.headers.forEach(response::setHeader);
                Envelope.error(response, surface.anthropic(), r.status, r.code, String.valueOf(r.getMessage()));
            }
        }
    }

    private void call(Surface surface, HttpServletRequest request, HttpServletResponse response)
            throws IOException, Refusal {
        if (surface == Surface.ANTHROPIC_COUNT_TOKENS) {
            countTokens(request, response);
            return;
        }
        String secret = credential(surface.anthropic(), request);
        ObjectNode body = body(request);
        Providers.Route route = route(surface, body);
        boolean stream = body.path("stream").asBoolean(false);
        if (stream && !surface.streams()) {
            throw new Refusal(400, "invalid_request", "this endpoint does not stream");
        }
        long maxOutput = maxOutput(surface, body);
        long estimate = estimator.estimate(surface, route.model(), body);
        CallRequest call = new CallRequest(
                route.provider().name(),
                route.model(),
                Math.min(estimate, CallRequest.MAX_TOKENS),
                Math.min(maxOutput, CallRequest.MAX_TOKENS),
                null,
                request.getRemoteAddr(),
                header(request, "x-tokenkeeper-run"));
        Admission admission = keeper.authorize(secret, call);
        if (admission instanceof Denial d) {
            throw refusal(d);
        }
        Permit permit = (Permit) admission;
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("surface", surface.id());
        String clientRequestId = header(request, "x-request-id");
        if (clientRequestId != null) {
            meta.put("client_request_id", clientRequestId);
        }
        response.setHeader("x-request-id", permit.requestId());
        rateLimitFields(permit).forEach(response::setHeader);
        long started = System.nanoTime();
        try {
            upstream(surface, route, body, stream, maxOutput, estimate, request, response, permit, meta, started);
        } catch (RuntimeException | Error e) {
            settleOnce(permit, Completion.failure(TokenCounts.NONE, since(started), "gateway error"), meta);
            throw e;
        }
    }

    private void upstream(
            Surface surface,
            Providers.Route route,
            ObjectNode body,
            boolean stream,
            long maxOutput,
            long estimate,
            HttpServletRequest request,
            HttpServletResponse response,
            Permit permit,
            Map<String, String> meta,
            long started)
            throws IOException, Refusal {
        boolean clientWantsUsage =
                body.path("stream_options").path("include_usage").asBoolean(false);
        ObjectNode up = body.deepCopy();
        up.put("model", route.model());
        switch (surface) {
            case ANTHROPIC_MESSAGES -> {
                if (!up.has("max_tokens")) {
                    up.put("max_tokens", maxOutput);
                }
            }
            case OPENAI_CHAT -> {
                if (!up.has("max_tokens") && !up.has("max_completion_tokens")) {
                    up.put("max_completion_tokens", maxOutput);
                }
                if (stream) {
                    // the provider reports a stream's usage only when asked; the extra chunk is not
                    // relayed to a client that did not ask for it
                    up.withObject("stream_options").put("include_usage", true);
                }
            }
            case OPENAI_RESPONSES -> {
                if (!up.has("max_output_tokens")) {
                    up.put("max_output_tokens", maxOutput);
                }
            }
            case OPENAI_EMBEDDINGS -> {
                // no output, and usage always reported
            }
            case ANTHROPIC_COUNT_TOKENS -> throw new IllegalStateException("count_tokens is no call: see countTokens");
        }
        Map<String, String> pass = passedOn(request);
        byte[] bytes = up.toString().getBytes(StandardCharsets.UTF_8);
        if (stream && route.provider().upstream() instanceof HttpUpstream http) {
            // a stream from a provider over the network: relayed without holding this thread
            new AsyncRelay(
                            this,
                            surface,
                            route,
                            permit,
                            meta,
                            started,
                            estimate,
                            clientWantsUsage,
                            limits.maxResponseSize().toBytes(),
                            deadline(route),
                            response,
                            estimator,
                            json)
                    .start(request, http, bytes, pass);
            return;
        }
        try (Deadline deadline = deadline(route);
                Upstream.Response r = send(route, surface, bytes, pass, deadline, permit, meta, started)) {
            if (r.status() != 200) {
                providerError(route, r, permit, meta, started);
                return;
            }
            if (stream) {
                relay(surface, route, r, response, permit, meta, started, estimate, clientWantsUsage, deadline);
            } else {
                whole(surface, route, r, response, permit, meta, started, estimate, deadline);
            }
        }
    }

    /** The provider and model a request's {@code model} names, served on {@code surface}. */
    private Providers.Route route(Surface surface, ObjectNode body) throws Refusal {
        JsonNode modelNode = body.path("model");
        if (!modelNode.isString() || modelNode.asString().isBlank()) {
            throw new Refusal(400, "invalid_request", "'model' is required: a model name such as demo");
        }
        String model = modelNode.asString();
        Providers.Route route = providers
                .route(model)
                .orElseThrow(() -> new Refusal(
                        404,
                        "model_not_found",
                        "no provider of this gateway serves the model '" + printable(model) + "'"));
        checkSurface(surface, route);
        return route;
    }

    /** The client's headers passed on to the provider: Anthropic's version and beta features. */
    private static Map<String, String> passedOn(HttpServletRequest request) {
        Map<String, String> pass = new LinkedHashMap<>();
        for (String h : new String[] {"anthropic-version", "anthropic-beta"}) {
            String v = header(request, h);
            if (v != null) {
                pass.put(h, v);
            }
        }
        return pass;
    }

    /**
     * Anthropic's {@code POST /v1/messages/count_tokens}: the input tokens a Messages request would
     * take. Anthropic counts them without charge, and Claude Code asks before its calls. It is not an
     * LLM call, so nothing is reserved or recorded: the token is checked with its per-request rate
     * limits ({@link TokenKeeper#checkRequest}, as the servlet filter checks a request) and must be
     * allowed the provider and the model. An Anthropic provider counts; the demo provider answers the
     * gateway's own estimate.
     */
    private void countTokens(HttpServletRequest request, HttpServletResponse response) throws IOException, Refusal {
        Surface surface = Surface.ANTHROPIC_COUNT_TOKENS;
        String secret = credential(true, request);
        RequestAdmission admitted = keeper.checkRequest(secret, request.getRemoteAddr());
        Denial denied = admitted.denial();
        Principal principal = admitted.principal();
        if (denied != null || principal == null) {
            throw denied != null ? refusal(denied) : new Refusal(401, "token_invalid", "the token was refused");
        }
        ObjectNode body = body(request);
        Providers.Route route = route(surface, body);
        if (!principal.allowsProvider(route.provider().name())) {
            throw new Refusal(
                    403,
                    "provider_not_allowed",
                    "the token may not call provider '" + route.provider().name() + "'");
        }
        if (!principal.allowsModel(route.model())) {
            throw new Refusal(
                    403, "model_not_allowed", "the token may not call model '" + printable(route.model()) + "'");
        }
        ObjectNode up = body.deepCopy();
        up.put("model", route.model());
        byte[] answer;
        try (Deadline deadline = deadline(route);
                Upstream.Response r = route.provider()
                        .upstream()
                        .send(surface, up.toString().getBytes(StandardCharsets.UTF_8), passedOn(request), deadline)) {
            deadline.stopWith(r::close);
            try {
                answer = read(r.body(), MAX_ERROR_BODY, r.length());
            } catch (IOException e) {
                throw deadline.passed()
                        ? noAnswerInTime()
                        : new Refusal(502, "upstream_error", "the provider's answer was cut short");
            }
            if (r.status() != 200) {
                throw providerRefusal(route, r.status(), answer, r.retryAfterSeconds());
            }
        } catch (TimeoutException e) {
            throw noAnswerInTime();
        } catch (IOException e) {
            throw unreachable(route, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refusal(503, "interrupted", "the gateway is shutting down");
        }
        JsonNode count;
        try {
            count = json.readTree(answer).path("input_tokens");
        } catch (JacksonException e) {
            count = null;
        }
        if (count == null || !count.isIntegralNumber() || count.asLong() < 0) {
            throw new Refusal(502, "upstream_error", "the provider's answer has no token count");
        }
        response.setStatus(200);
        response.setContentType("application/json");
        response.setContentLength(answer.length);
        response.getOutputStream().write(answer);
    }

    /** Calls the provider; a call that cannot be made settles the permit and is refused in the envelope. */
    private Upstream.Response send(
            Providers.Route route,
            Surface surface,
            byte[] body,
            Map<String, String> headers,
            Deadline deadline,
            Permit permit,
            Map<String, String> meta,
            long started)
            throws Refusal {
        try {
            Upstream.Response r = route.provider().upstream().send(surface, body, headers, deadline);
            deadline.stopWith(r::close);
            return r;
        } catch (TimeoutException e) {
            settleOnce(permit, Completion.failure(TokenCounts.NONE, since(started), "provider timeout"), meta);
            throw noAnswerInTime();
        } catch (IOException e) {
            settleOnce(permit, Completion.failure(TokenCounts.NONE, since(started), "provider unreachable"), meta);
            throw unreachable(route, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            settleOnce(permit, Completion.failure(TokenCounts.NONE, since(started), "interrupted"), meta);
            throw new Refusal(503, "interrupted", "the gateway is shutting down");
        } catch (RuntimeException e) {
            settleOnce(permit, Completion.failure(TokenCounts.NONE, since(started), "gateway error"), meta);
            throw e;
        }
    }

    /** The refusal of a call whose provider sent no answer's head before its deadline. */
    static Refusal noAnswerInTime() {
        return new Refusal(504, "upstream_timeout", "the provider did not answer in time");
    }

    /** The refusal of a call whose provider could not be reached; logged without the cause's text. */
    static Refusal unreachable(Providers.Route route, Exception cause) {
        LOG.warn(
                "provider {} unreachable: {}",
                route.provider().name(),
                cause.getClass().getSimpleName());
        return new Refusal(502, "upstream_unavailable", "the provider could not be reached");
    }

    /** The provider's timeout for a call sent now: the call is dropped when it passes. */
    private Deadline deadline(Providers.Route route) {
        return deadlines.start(route.provider().timeout().toMillis());
    }

    /** A provider's error answer: no tokens used; the status and message mapped, never its internals. */
    private void providerError(
            Providers.Route route, Upstream.Response r, Permit permit, Map<String, String> meta, long started)
            throws Refusal {
        byte[] text;
        try {
            text = read(r.body(), MAX_ERROR_BODY, r.length());
        } catch (IOException | Refusal unreadable) {
            text = new byte[0];
        }
        settleOnce(
                permit, Completion.failure(TokenCounts.NONE, since(started), "provider answered " + r.status()), meta);
        throw providerRefusal(route, r.status(), text, r.retryAfterSeconds());
    }

    /** How much of a provider's error answer is read for its message. */
    static final int MAX_ERROR_BODY = 64 * 1024;

    /** The refusal for a provider's error answer (its status and body, the seconds it asked to wait). */
    Refusal providerRefusal(Providers.Route route, int status, byte[] body, long retryAfterSeconds) {
        String message = "the provider answered " + status;
        try {
            JsonNode e = json.readTree(body).path("error");
            if (e.path("message").isString()) {
                message = "the provider refused the call: "
                        + printable(e.path("message").asString());
            }
        } catch (JacksonException ignored) {
            // keep the status alone
        }
        if (status == 429) {
            Map<String, String> h =
                    retryAfterSeconds >= 0 ? Map.of("Retry-After", Long.toString(retryAfterSeconds)) : Map.of();
            return new Refusal(429, "upstream_rate_limited", "the provider is rate limiting; retry later", h);
        }
        if (status == 400 || status == 404 || status == 413 || status == 422) {
            return new Refusal(status == 422 ? 400 : status, "upstream_invalid_request", message);
        }
        if (status == 401 || status == 403) {
            LOG.warn(
                    "provider {} refused the gateway's key ({})",
                    route.provider().name(),
                    status);
            return new Refusal(502, "upstream_auth", "the provider refused the gateway's credentials");
        }
        return new Refusal(502, "upstream_error", "the provider failed (" + status + ")");
    }

    /** A JSON answer: read whole (bounded), usage taken, relayed as is. */
    private void whole(
            Surface surface,
            Providers.Route route,
            Upstream.Response r,
            HttpServletResponse response,
            Permit permit,
            Map<String, String> meta,
            long started,
            long estimate,
            Deadline deadline)
            throws IOException, Refusal {
        Answer whole = answer(r, permit, meta, started, estimate, deadline);
        byte[] bytes = whole.bytes();
        JsonNode answer = whole.json();
        Usage usage = new Usage(surface, estimator);
        usage.take(answer);
        switch (surface) {
            case ANTHROPIC_MESSAGES -> {
                for (JsonNode c : answer.path("content")) {
                    usage.text(c.path("text").asString("") + c.path("thinking").asString(""));
                }
            }
            case OPENAI_CHAT -> {
                for (JsonNode c : answer.path("choices")) {
                    usage.text(c.path("message").path("content").asString(""));
                }
            }
            case OPENAI_RESPONSES -> {
                for (JsonNode item : answer.path("output")) {
                    for (JsonNode c : item.path("content")) {
                        usage.text(c.path("text").asString(""));
                    }
                }
            }
            case OPENAI_EMBEDDINGS -> usage.noOutput();
            case ANTHROPIC_COUNT_TOKENS -> throw new IllegalStateException("count_tokens is no call: see countTokens");
        }
        settleOnce(permit, usage.completion(route.model(), estimate, CallOutcome.SUCCESS, since(started), null), meta);
        response.setStatus(200);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    /** A JSON answer read whole: its bytes, to relay as they are, and its tree. */
    private static final class Answer {
        private final byte[] bytes;
        private final JsonNode json;

        Answer(byte[] bytes, JsonNode json) {
            this.bytes = bytes;
            this.json = json;
        }

        byte[] bytes() {
            return bytes;
        }

        JsonNode json() {
            return json;
        }
    }

    /**
     * Reads a JSON answer whole, within {@code max-response-size}. A failure settles the permit and is
     * refused: a timeout (504), a cut or unreadable answer (502), an answer too large (502, recorded
     * with the input estimate, since the provider produced it).
     */
    private Answer answer(
            Upstream.Response r,
            Permit permit,
            Map<String, String> meta,
            long started,
            long estimate,
            Deadline deadline)
            throws Refusal {
        byte[] bytes;
        try {
            bytes = read(r.body(), limits.maxResponseSize().toBytes(), r.length());
        } catch (IOException e) {
            boolean late = deadline.passed();
            settleOnce(
                    permit,
                    Completion.failure(
                            TokenCounts.NONE, since(started), late ? "provider timeout" : "provider cut the answer"),
                    meta);
            throw late
                    ? new Refusal(504, "upstream_timeout", "the provider did not answer in time")
                    : new Refusal(502, "upstream_error", "the provider's answer was cut short");
        } catch (Refusal tooLarge) {
            settleOnce(
                    permit,
                    new Completion(
                            new TokenCounts(estimate, 0, 0, 0, 0),
                            since(started),
                            CallOutcome.ERROR,
                            UsageSource.ESTIMATED,
                            "answer too large",
                            meta),
                    meta);
            throw tooLarge;
        }
        JsonNode answer;
        try {
            answer = json.readTree(bytes);
        } catch (JacksonException e) {
            settleOnce(permit, Completion.failure(TokenCounts.NONE, since(started), "provider answer not JSON"), meta);
            throw new Refusal(502, "upstream_error", "the provider's answer was not JSON");
        }
        return new Answer(bytes, answer);
    }

    /**
     * An event stream read on this thread (the demo provider's, answered in process), relayed event by
     * event as it arrives, usage taken on the way. A provider's over HTTP goes through {@link AsyncRelay}.
     */
    private void relay(
            Surface surface,
            Providers.Route route,
            Upstream.Response r,
            HttpServletResponse response,
            Permit permit,
            Map<String, String> meta,
            long started,
            long estimate,
            boolean clientWantsUsage,
            Deadline deadline)
            throws IOException {
        streamHead(response);
        OutputStream out = response.getOutputStream();
        Usage usage = new Usage(surface, estimator);
        EventStream events = new EventStream(
                surface, usage, clientWantsUsage, limits.maxResponseSize().toBytes(), json);
        List<byte[]> ready = new ArrayList<>();
        byte[] buf = new byte[8192];
        InputStream in = r.body();
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                events.feed(buf, 0, n, ready);
                for (byte[] event : ready) {
                    try {
                        out.write(event);
                        out.flush();
                    } catch (IOException clientGone) {
                        r.close();
                        settleOnce(
                                permit,
                                usage.completion(route.model(), estimate, CallOutcome.CANCELLED, since(started), null),
                                meta);
                        return;
                    }
                    usage.firstByte(started, meta);
                }
                ready.clear();
            }
        } catch (IOException upstreamFailed) {
            String why = deadline.passed() ? "provider timeout" : "provider stream failed";
            settleOnce(permit, usage.completion(route.model(), estimate, CallOutcome.ERROR, since(started), why), meta);
            cutNotice(surface, out, why);
            return;
        }
        if (!events.finished()) {
            settleOnce(
                    permit,
                    usage.completion(
                            route.model(), estimate, CallOutcome.ERROR, since(started), "provider cut the stream"),
                    meta);
            cutNotice(surface, out, "provider cut the stream");
            return;
        }
        settleOnce(permit, usage.completion(route.model(), estimate, CallOutcome.SUCCESS, since(started), null), meta);
    }

    /** The status and headers of a relayed event stream: not cached, not buffered by a proxy. */
    static void streamHead(HttpServletResponse response) {
        response.setStatus(200);
        response.setContentType("text/event-stream;charset=UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Accel-Buffering", "no");
    }

    /** Tells an Anthropic client that the stream failed (its SDKs raise on an error event). */
    private static void cutNotice(Surface surface, OutputStream out, String why) {
        byte[] notice = cutNotice(surface, why);
        if (notice.length == 0) {
            return;
        }
        try {
            out.write(notice);
            out.flush();
        } catch (IOException ignored) {
            // the client is gone too
        }
    }

    /** The event that tells an Anthropic client that its stream failed; nothing for OpenAI's clients. */
    static byte[] cutNotice(Surface surface, String why) {
        if (!surface.anthropic()) {
            return new byte[0];
        }
        return ("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"" + why
                        + "\"}}\n\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The usage reported so far, and the text seen, for an estimate when the report is missing. */
    static final class Usage {
        private final Surface surface;
        private final Estimator estimator;
        private long input = -1;
        private long cached;
        private long cacheWrite;
        private long output = -1;
        private long reasoning;
        private final StringBuilder text = new StringBuilder();
        private boolean firstByteSeen;

        Usage(Surface surface, Estimator estimator) {
            this.surface = surface;
            this.estimator = estimator;
        }

        void take(JsonNode node) {
            JsonNode u = switch (surface) {
                case ANTHROPIC_MESSAGES ->
                    node.path("message").path("usage").isObject()
                            ? node.path("message").path("usage")
                            : node.path("usage");
                case OPENAI_RESPONSES ->
                    node.path("response").path("usage").isObject()
                            ? node.path("response").path("usage")
                            : node.path("usage");
                default -> node.path("usage");
            };
            if (!u.isObject()) {
                return;
            }
            if (surface == Surface.OPENAI_RESPONSES) {
                long in = u.path("input_tokens").asLong(0);
                cached = u.path("input_tokens_details").path("cached_tokens").asLong(0);
                long out = u.path("output_tokens").asLong(0);
                reasoning =
                        u.path("output_tokens_details").path("reasoning_tokens").asLong(0);
                input = Math.max(0, in - cached);
                output = Math.max(0, out - reasoning);
            } else if (surface.anthropic()) {
                if (u.has("input_tokens")) {
                    input = u.path("input_tokens").asLong();
                }
                if (u.has("cache_read_input_tokens")) {
                    cached = u.path("cache_read_input_tokens").asLong();
                }
                if (u.has("cache_creation_input_tokens")) {
                    cacheWrite = u.path("cache_creation_input_tokens").asLong();
                }
                if (u.has("output_tokens")) {
                    output = u.path("output_tokens").asLong();
                }
            } else {
                long prompt = u.path("prompt_tokens").asLong(0);
                cached = u.path("prompt_tokens_details").path("cached_tokens").asLong(0);
                long completion = u.path("completion_tokens").asLong(0);
                reasoning = u.path("completion_tokens_details")
                        .path("reasoning_tokens")
                        .asLong(0);
                input = Math.max(0, prompt - cached);
                output = Math.max(0, completion - reasoning);
            }
        }

        /** Embeddings generate nothing: a missing report means no output, not an unknown one. */
        void noOutput() {
            if (output < 0) {
                output = 0;
            }
        }

        void text(String s) {
            if (text.length() < 1_000_000) {
                text.append(s);
            }
        }

        void streamText(JsonNode node) {
            if (surface == Surface.OPENAI_RESPONSES) {
                if (node.path("type").asString("").endsWith(".delta")) {
                    text(node.path("delta").asString(""));
                }
            } else if (surface.anthropic()) {
                JsonNode d = node.path("delta");
                text(d.path("text").asString("")
                        + d.path("thinking").asString("")
                        + d.path("partial_json").asString(""));
            } else {
                for (JsonNode c : node.path("choices")) {
                    JsonNode d = c.path("delta");
                    text(d.path("content").asString("")
                            + d.path("reasoning_content").asString(""));
                }
            }
        }

        void firstByte(long started, Map<String, String> meta) {
            if (!firstByteSeen) {
                firstByteSeen = true;
                meta.put(
                        "ttft_ms",
                        Long.toString(
                                Duration.ofNanos(System.nanoTime() - started).toMillis()));
            }
        }

        /**
         * The completion: reported counts when the provider reported them all; otherwise what is
         * known plus an estimate of the rest (the request's input estimate, the output from the text
         * seen), so that a call without a report is never recorded as free.
         */
        Completion completion(
                String model, long estimate, CallOutcome outcome, Duration latency, @Nullable String error) {
            boolean reported = input >= 0 && output >= 0;
            long in = input >= 0 ? input : estimate;
            long out = output >= 0 ? output : estimator.count(model, text.toString());
            if (!reported && outcome == CallOutcome.SUCCESS && out == 0 && surface != Surface.OPENAI_EMBEDDINGS) {
                out = 1;
            }
            UsageSource source = reported && outcome == CallOutcome.SUCCESS
                    ? UsageSource.REPORTED
                    : outcome == CallOutcome.SUCCESS ? UsageSource.ESTIMATED : UsageSource.PARTIAL;
            TokenCounts counts = new TokenCounts(
                    Math.min(in, TokenCounts.MAX_PER_CATEGORY),
                    Math.min(cached, TokenCounts.MAX_PER_CATEGORY),
                    Math.min(cacheWrite, TokenCounts.MAX_PER_CATEGORY),
                    Math.min(out, TokenCounts.MAX_PER_CATEGORY),
                    Math.min(reasoning, TokenCounts.MAX_PER_CATEGORY));
            return new Completion(counts, latency, outcome, source, error, Map.of());
        }
    }

    static void settleOnce(Permit permit, Completion c, Map<String, String> meta) {
        try {
            permit.complete(new Completion(c.counts(), c.latency(), c.outcome(), c.source(), c.errorMessage(), meta));
        } catch (IllegalStateException alreadySettled) {
            // a second path out of the same call
        } catch (RuntimeException e) {
            LOG.warn("could not record a gateway call: {}", e.getMessage());
        }
    }

    static Duration since(long started) {
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /**
     * A whole body, at most {@code max} bytes. With a declared length (the usual small JSON body),
     * exactly that many bytes are read into one array of that size, with no intermediate buffer; the
     * stream is then checked to end there. Without one, or when the body does not keep to it, it is
     * read in 4 KB steps.
     */
    private static byte[] read(InputStream in, long max, long declared) throws IOException, Refusal {
        if (declared >= 0 && declared <= max) {
            byte[] first = in.readNBytes((int) declared);
            if (first.length < declared) {
                return first; // ended early: what came is what there is, as without a declared length
            }
            int next = in.read();
            if (next < 0) {
                return first;
            }
            ByteArrayOutputStream more = new ByteArrayOutputStream(first.length + 4096);
            more.write(first);
            more.write(next);
            return readRest(in, max, more);
        }
        return readRest(in, max, new ByteArrayOutputStream(1024));
    }

    private static byte[] readRest(InputStream in, long max, ByteArrayOutputStream out) throws IOException, Refusal {
        byte[] buf = new byte[4096];
        if (out.size() > max) {
            throw tooLarge(max);
        }
        for (int n; (n = in.read(buf)) > 0; ) {
            if (out.size() + n > max) {
                throw tooLarge(max);
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static Refusal tooLarge(long max) {
        return new Refusal(502, "upstream_too_large", "the provider's answer is larger than " + max + " bytes");
    }

    private void checkSurface(Surface surface, Providers.Route route) throws Refusal {
        GatewayProperties.Type type = route.provider().type();
        if (type == GatewayProperties.Type.DEMO) {
            return;
        }
        if (surface.anthropic() != (type == GatewayProperties.Type.ANTHROPIC)) {
            throw new Refusal(
                    400,
                    "wrong_surface",
                    "the model '" + printable(route.model()) + "' is served by an " + type.id() + " provider: call "
                            + (type == GatewayProperties.Type.ANTHROPIC ? "/v1/messages" : "/v1/chat/completions"));
        }
    }

    private long maxOutput(Surface surface, ObjectNode body) throws Refusal {
        JsonNode n = switch (surface) {
            case ANTHROPIC_MESSAGES -> body.path("max_tokens");
            case OPENAI_CHAT ->
                body.has("max_completion_tokens") ? body.path("max_completion_tokens") : body.path("max_tokens");
            case OPENAI_RESPONSES -> body.path("max_output_tokens");
            case OPENAI_EMBEDDINGS, ANTHROPIC_COUNT_TOKENS -> null;
        };
        if (n == null) {
            return 0;
        }
        if (n.isMissingNode() || n.isNull()) {
            return limits.defaultMaxOutputTokens();
        }
        if (!n.canConvertToLong() || !n.isIntegralNumber() || n.asLong() < 1) {
            throw new Refusal(400, "invalid_request", "the output cap (max_tokens) must be a positive whole number");
        }
        return n.asLong();
    }

    private ObjectNode body(HttpServletRequest request) throws IOException, Refusal {
        String type = request.getContentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new Refusal(415, "unsupported_media_type", "the body must be application/json");
        }
        if (request.getContentLengthLong() > limits.maxRequestSize().toBytes()) {
            throw new Refusal(
                    413,
                    "request_too_large",
                    "the request body is larger than " + limits.maxRequestSize().toBytes() + " bytes",
                    Map.of("Connection", "close"));
        }
        byte[] bytes;
        try {
            bytes = read(request.getInputStream(), limits.maxRequestSize().toBytes(), request.getContentLengthLong());
        } catch (Refusal tooLarge) {
            throw new Refusal(
                    413,
                    "request_too_large",
                    "the request body is larger than " + limits.maxRequestSize().toBytes() + " bytes");
        }
        try {
            JsonNode node = json.readTree(bytes);
            if (node instanceof ObjectNode o) {
                return o;
            }
        } catch (JacksonException e) {
            // answered below
        }
        throw new Refusal(400, "invalid_json", "the body is not a JSON object");
    }

    /**
     * The client's TokenKeeper token, as the servlet filter reads it ({@code Authorization: Bearer},
     * {@code x-api-key} or {@code api-key}); a refusal when there is none, or two that differ.
     * {@code anthropic}: the surface is Anthropic's, whose clients send {@code x-api-key}.
     */
    static String credential(boolean anthropic, HttpServletRequest request) throws Refusal {
        Credentials.Result c = Credentials.read(request, null);
        if (c instanceof Credentials.Result.Present p) {
            return p.secret();
        }
        if (c instanceof Credentials.Result.Malformed m) {
            // as the servlet filter: RFC 6750, section 3.1, a malformed request is a 400
            throw new Refusal(400, "invalid_credentials", m.problem());
        }
        if (c instanceof Credentials.Result.Ambiguous a) {
            throw new Refusal(400, "ambiguous_credentials", a.problem());
        }
        throw new Refusal(
                401,
                "missing_token",
                anthropic
                        ? "a TokenKeeper token is required in x-api-key or 'Authorization: Bearer'"
                        : "a TokenKeeper token is required in 'Authorization: Bearer'");
    }

    /**
     * The IETF {@code RateLimit-Policy} and {@code RateLimit} fields (draft-ietf-httpapi-ratelimit-headers)
     * of a call let through: per request rate limit it counted against, the quota per minute, what is
     * left, and the seconds until the limit is whole again. Only limits counted in requests: the
     * draft's quota units are requests and bytes, not tokens or dollars.
     */
    private static Map<String, String> rateLimitFields(Permit permit) {
        StringBuilder policy = new StringBuilder();
        StringBuilder now = new StringBuilder();
        for (RateLimitState st : permit.rateLimits()) {
            if (!RateLimitFields.expressible(st.limit())) {
                continue;
            }
            if (policy.length() > 0) {
                policy.append(", ");
                now.append(", ");
            }
            policy.append(RateLimitFields.policy(st.limit()));
            now.append(RateLimitFields.state(st.limit(), st.remaining(), RateLimitFields.seconds(st.untilFull())));
        }
        return policy.length() == 0
                ? Map.of()
                : Map.of("RateLimit-Policy", policy.toString(), "RateLimit", now.toString());
    }

    private static Refusal refusal(Denial d) {
        String code = d.reason().name().toLowerCase(Locale.ROOT);
        Map<String, String> h = new LinkedHashMap<>();
        return switch (d.reason()) {
            case TOKEN_INVALID, TOKEN_NOT_FOUND, TOKEN_EXPIRED, TOKEN_REVOKED -> new Refusal(401, code, d.message());
            case RATE_LIMITED -> {
                long seconds = RateLimitFields.seconds(d.retryAfter());
                h.put("Retry-After", Long.toString(seconds));
                if (d.limit() != null && RateLimitFields.expressible(d.limit())) {
                    h.put("RateLimit-Policy", RateLimitFields.policy(d.limit()));
                    h.put("RateLimit", RateLimitFields.state(d.limit(), 0, seconds));
                }
                yield new Refusal(429, code, d.message(), h);
            }
            case STORAGE_UNAVAILABLE -> {
                h.put("Retry-After", Long.toString(RateLimitFields.seconds(d.retryAfter())));
                yield new Refusal(503, code, d.message(), h);
            }
            default -> new Refusal(403, code, d.message());
        };
    }

    private static @Nullable String header(HttpServletRequest request, String name) {
        String v = request.getHeader(name);
        if (v == null || v.isEmpty() || v.length() > 128 || v.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            return null;
        }
        return v;
    }

    static String printable(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return cut.codePoints()
                .map(c -> Character.isISOControl(c) || c == '"' || c == '\\' ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }

    /** What {@code POST /api/v1/inference} answers. */
    public record Inference(
            String requestId,
            String provider,
            String model,
            String content,
            TokenCounts counts,
            String costUsd,
            Map<String, String> headers) {}

    /**
     * A provider-neutral call ({@code POST /api/v1/inference}): {@code model}, {@code messages} of
     * {@code system}, {@code user} and {@code assistant} text, {@code max_tokens}. Sent to the provider
     * in its own API (OpenAI's chat completions, Anthropic's messages), enforced and recorded like
     * every gateway call.
     */
    public Inference infer(@Nullable String secret, JsonNode request, String source) throws Refusal {
        if (secret == null) {
            throw new Refusal(401, "missing_token", "a TokenKeeper token is required in 'Authorization: Bearer'");
        }
        JsonNode modelNode = request.path("model");
        if (!modelNode.isString() || modelNode.asString().isBlank()) {
            throw new Refusal(400, "validation_failed", "model: is required");
        }
        JsonNode messages = request.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            throw new Refusal(400, "validation_failed", "messages: must be a non-empty array of {role, content}");
        }
        Providers.Route route = providers
                .route(modelNode.asString())
                .orElseThrow(() -> new Refusal(
                        404,
                        "model_not_found",
                        "no provider of this gateway serves the model '" + printable(modelNode.asString()) + "'"));
        boolean anthropic = route.provider().type() == GatewayProperties.Type.ANTHROPIC;
        Surface surface = anthropic ? Surface.ANTHROPIC_MESSAGES : Surface.OPENAI_CHAT;
        ObjectNode body = json.createObjectNode().put("model", route.model());
        var out = body.putArray("messages");
        StringBuilder system = new StringBuilder();
        int i = 0;
        for (JsonNode m : messages) {
            String role = m.path("role").asString("");
            if (!m.path("content").isString()
                    || !(role.equals("system") || role.equals("user") || role.equals("assistant"))) {
                throw new Refusal(
                        400,
                        "validation_failed",
                        "messages[" + i + "]: needs a role (system, user, assistant) and a text content");
            }
            if (anthropic && role.equals("system")) {
                system.append(system.length() > 0 ? "\n" : "")
                        .append(m.path("content").asString());
            } else {
                out.addObject()
                        .put("role", role)
                        .put("content", m.path("content").asString());
            }
            i++;
        }
        if (system.length() > 0) {
            body.put("system", system.toString());
        }
        JsonNode max = request.path("max_tokens");
        if (!max.isMissingNode() && !max.isNull()) {
            if (!max.isIntegralNumber() || max.asLong() < 1) {
                throw new Refusal(400, "validation_failed", "max_tokens: must be a positive whole number");
            }
            body.put(anthropic ? "max_tokens" : "max_completion_tokens", max.asLong());
        }
        long maxOutput = maxOutput(surface, body);
        if (!body.has("max_tokens") && !body.has("max_completion_tokens")) {
            body.put(anthropic ? "max_tokens" : "max_completion_tokens", maxOutput);
        }
        long estimate = estimator.estimate(surface, route.model(), body);
        Admission admission = keeper.authorize(
                secret,
                new CallRequest(
                        route.provider().name(),
                        route.model(),
                        Math.min(estimate, CallRequest.MAX_TOKENS),
                        Math.min(maxOutput, CallRequest.MAX_TOKENS),
                        null,
                        source,
                        null));
        if (admission instanceof Denial d) {
            throw refusal(d);
        }
        Permit permit = (Permit) admission;
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("surface", "inference");
        long started = System.nanoTime();
        try (Deadline deadline = deadline(route);
                Upstream.Response r = send(
                        route,
                        surface,
                        body.toString().getBytes(StandardCharsets.UTF_8),
                        Map.of(),
                        deadline,
                        permit,
                        meta,
                        started)) {
            if (r.status() != 200) {
                providerError(route, r, permit, meta, started);
            }
            JsonNode answer =
                    answer(r, permit, meta, started, estimate, deadline).json();
            StringBuilder content = new StringBuilder();
            if (anthropic) {
                answer.path("content")
                        .forEach(c -> content.append(c.path("text").asString("")));
            } else {
                answer.path("choices")
                        .forEach(c ->
                                content.append(c.path("message").path("content").asString("")));
            }
            Usage usage = new Usage(surface, estimator);
            usage.take(answer);
            usage.text(content.toString());
            Completion c = usage.completion(route.model(), estimate, CallOutcome.SUCCESS, since(started), null);
            String cost;
            try {
                cost = permit.complete(new Completion(c.counts(), c.latency(), c.outcome(), c.source(), null, meta))
                        .cost()
                        .total()
                        .toString();
            } catch (RuntimeException e) {
                LOG.warn("could not record a gateway call: {}", e.getMessage());
                cost = "0";
            }
            return new Inference(
                    permit.requestId(),
                    route.provider().name(),
                    route.model(),
                    content.toString(),
                    c.counts(),
                    cost,
                    rateLimitFields(permit));
        }
    }

    /** For the models list: the route of a listed model, if the gateway serves it. */
    Optional<Providers.Route> route(String model) {
        return providers.route(model);
    }
}
