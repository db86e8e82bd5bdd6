package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitScope;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.traces.Trace;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The gateway over HTTP, against the demo provider and a stub of OpenAI's and Anthropic's APIs on
 * loopback: every call enforced before it goes upstream, and recorded with what the provider
 * reported.
 */
@TestPropertySource(properties = "tk.test.db-file=gateway.db")
@ExtendWith(OutputCaptureExtension.class)
@DisplayName("the gateway: OpenAI and Anthropic surfaces, enforced and recorded")
class GatewayTest extends BootedApp {
    static final StubProvider STUB;

    static {
        try {
            STUB = new StubProvider();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void providers(DynamicPropertyRegistry r) {
        r.add("tokenkeeper.providers.openai.type", () -> "openai");
        r.add("tokenkeeper.providers.openai.base-url", () -> STUB.base() + "/v1");
        r.add("tokenkeeper.providers.openai.api-key", () -> StubProvider.KEY);
        r.add("tokenkeeper.providers.openai.models", () -> "gpt-4o*,gpt-4.1,text-embedding-3-small,dup-model");
        r.add("tokenkeeper.providers.openai.timeout", () -> "2s");
        r.add("tokenkeeper.providers.anthropic.type", () -> "anthropic");
        r.add("tokenkeeper.providers.anthropic.base-url", () -> STUB.base());
        r.add("tokenkeeper.providers.anthropic.api-key", () -> StubProvider.KEY);
        r.add("tokenkeeper.providers.anthropic.models", () -> "claude-*,dup-model");
        r.add("tokenkeeper.providers.anthropic.timeout", () -> "2s");
        r.add("tokenkeeper.gateway.max-request-size", () -> "256KB");
        r.add("tokenkeeper.gateway.max-response-size", () -> "64KB");
    }

    /** The stub's behaviour models are not in the catalog: they get runtime prices. */
    @org.junit.jupiter.api.BeforeEach
    void prices() {
        for (String model : List.of(
                "gpt-4o-cut",
                "gpt-4o-gated",
                "gpt-4o-hang",
                "gpt-4o-stall",
                "gpt-4o-nousage",
                "gpt-4o-400",
                "gpt-4o-401",
                "gpt-4o-429",
                "gpt-4o-500",
                "gpt-4o-huge")) {
            price("openai", model);
        }
        price("anthropic", "claude-x-cut");
    }

    private void price(String provider, String model) {
        if (keeper.pricing().find(provider, model, java.time.Instant.EPOCH).isEmpty()) {
            keeper.pricing()
                    .putPrice(
                            new dev.tokenkeeper.pricing.ModelPrice(
                                    provider,
                                    model,
                                    java.time.Instant.EPOCH,
                                    new dev.tokenkeeper.pricing.Rates(
                                            dev.tokenkeeper.pricing.Money.of("2.5"),
                                            dev.tokenkeeper.pricing.Money.of("1.25"),
                                            dev.tokenkeeper.pricing.Money.of("2.5"),
                                            dev.tokenkeeper.pricing.Money.of("10")),
                                    null,
                                    "the gateway test's stub",
                                    java.time.LocalDate.of(2026, 12, 3)),
                            dev.tokenkeeper.audit.Actor.SYSTEM);
        }
    }

    IssuedToken token() {
        return keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("gw")
                        .role(Role.AGENT)
                        .build());
    }

    HttpResponse<String> get(String path, String token, String... headers) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + token);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String token, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    Trace only(IssuedToken t) {
        keeper.flush();
        List<Trace> traces = keeper.traces()
                .list(TraceQuery.builder("default").token(t.info().id()).build())
                .items();
        assertThat(traces).hasSize(1);
        return traces.get(0);
    }

    /** The {@code error.code} of an answer in OpenAI's envelope. */
    String errorCode(HttpResponse<String> r) {
        return json.readTree(r.body()).path("error").path("code").asString();
    }

    /** The {@code error.type} of an answer in either envelope. */
    String errorType(HttpResponse<String> r) {
        return json.readTree(r.body()).path("error").path("type").asString();
    }

    static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the gateway\"}]}";
    }

    @Test
    @DisplayName("the demo model answers with no configuration, and the call is recorded with a cost")
    void demoJson() throws Exception {
        IssuedToken t = token();
        HttpResponse<String> r = post("/v1/chat/completions", t.secret(), chat("demo", false));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("choices").get(0).path("message").path("content").asString())
                .contains("demo model")
                .contains("Say hello to the gateway");
        Trace trace = only(t);
        assertThat(trace.provider()).isEqualTo("demo");
        assertThat(trace.outcome()).isEqualTo(CallOutcome.SUCCESS);
        assertThat(trace.source()).isEqualTo(UsageSource.REPORTED);
        assertThat(trace.counts().input())
                .isEqualTo(body.path("usage").path("prompt_tokens").asLong());
        assertThat(trace.counts().output())
                .isEqualTo(body.path("usage").path("completion_tokens").asLong());
        assertThat(trace.cost().total().amount().signum()).isPositive();
        assertThat(trace.metadata()).containsEntry("surface", "chat_completions");
        assertThat(r.headers().firstValue("x-request-id")).hasValue(trace.requestId());
    }

    @Test
    @DisplayName("a demo stream is relayed as events, without the usage chunk the client did not ask for")
    void demoStream() throws Exception {
        IssuedToken t = token();
        HttpResponse<String> r = post("/v1/chat/completions", t.secret(), chat("demo", true));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        assertThat(r.body()).contains("\"delta\"").endsWith("data: [DONE]\n\n").doesNotContain("\"usage\"");
        Trace trace = only(t);
        assertThat(trace.source()).isEqualTo(UsageSource.REPORTED);
        assertThat(trace.counts().output()).isPositive();
        assertThat(trace.metadata()).containsKey("ttft_ms");

        IssuedToken t2 = token();
        HttpResponse<String> withUsage = post(
                "/v1/chat/completions",
                t2.secret(),
                chat("demo", true)
                        .replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertThat(withUsage.body()).contains("\"usage\"");
    }

    @Test
    @DisplayName("the Responses API and embeddings, on the demo model and upstream, JSON and streams, recorded")
    void responsesAndEmbeddings() throws Exception {
        IssuedToken t = token();
        HttpResponse<String> r = post("/v1/responses", t.secret(), "{\"model\":\"demo\",\"input\":\"Tell me\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("output")
                        .get(0)
                        .path("content")
                        .get(0)
                        .path("text")
                        .asString())
                .contains("Tell me");
        Trace demo = only(t);
        assertThat(demo.counts().input())
                .isEqualTo(body.path("usage").path("input_tokens").asLong());
        assertThat(demo.metadata()).containsEntry("surface", "responses");

        IssuedToken s = token();
        HttpResponse<String> stream =
                post("/v1/responses", s.secret(), "{\"model\":\"gpt-4o\",\"stream\":true,\"input\":\"Hi\"}");
        assertThat(stream.body()).contains("response.output_text.delta").contains("response.completed");
        // input 900 of which 400 cached; output 120 of which 20 reasoning
        assertThat(only(s).counts()).isEqualTo(new TokenCounts(500, 400, 0, 100, 20));
        IssuedToken j = token();
        assertThat(post("/v1/responses", j.secret(), "{\"model\":\"gpt-4o\",\"input\":\"Hi\"}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(only(j).counts()).isEqualTo(new TokenCounts(500, 400, 0, 100, 20));
        assertThat(STUB.received.stream()
                        .filter(x -> x.path().equals("/v1/responses"))
                        .toList()
                        .get(0)
                        .body()
                        .path("max_output_tokens")
                        .asLong())
                .isEqualTo(4096);

        IssuedToken e = token();
        HttpResponse<String> emb =
                post("/v1/embeddings", e.secret(), "{\"model\":\"text-embedding-3-small\",\"input\":\"vector me\"}");
        assertThat(emb.statusCode()).isEqualTo(200);
        assertThat(only(e).counts()).isEqualTo(new TokenCounts(42, 0, 0, 0, 0));
        IssuedToken d = token();
        HttpResponse<String> demoEmb =
                post("/v1/embeddings", d.secret(), "{\"model\":\"demo\",\"input\":[\"a\",\"b\"]}");
        assertThat(json.readTree(demoEmb.body()).path("data")).hasSize(2);
        assertThat(only(d).source()).isEqualTo(UsageSource.REPORTED);
        assertThat(post("/v1/embeddings", d.secret(), "{\"model\":\"demo\",\"stream\":true,\"input\":\"a\"}")
                        .statusCode())
                .isEqualTo(400);
    }

    @Test
    @DisplayName(
            "POST /api/v1/inference: one provider-neutral call, to OpenAI's or Anthropic's API, recorded; problem documents for errors")
    void inference() throws Exception {
        IssuedToken t = token();
        Limit perMinute = keeper.limits()
                .create(LimitSpec.builder("default")
                        .name("ten a minute")
                        .scope(LimitScope.TOKEN, t.info().id())
                        .amount(LimitMetric.REQUESTS, 10)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        HttpResponse<String> demo = post(
                "/api/v1/inference",
                t.secret(),
                "{\"model\":\"demo\",\"max_tokens\":300,\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},"
                        + "{\"role\":\"user\",\"content\":\"Hello inference\"}]}");
        assertThat(demo.statusCode()).as(demo.body()).isEqualTo(200);
        JsonNode d = json.readTree(demo.body());
        assertThat(d.path("content").asString()).contains("Hello inference");
        assertThat(d.path("provider").asString()).isEqualTo("demo");
        assertThat(d.path("usage").path("output_tokens").asLong()).isPositive();
        assertThat(new java.math.BigDecimal(d.path("cost_usd").asString())).isPositive();
        Trace trace = only(t);
        assertThat(trace.requestId()).isEqualTo(d.path("id").asString());
        assertThat(trace.metadata()).containsEntry("surface", "inference");
        assertThat(demo.headers().firstValue("RateLimit"))
                .hasValue("\"" + perMinute.id() + "\";r=9;t=6"); // a tenth of a minute to give back one request

        IssuedToken a = token();
        STUB.received.clear();
        HttpResponse<String> claude = post(
                "/api/v1/inference",
                a.secret(),
                "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},"
                        + "{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(claude.statusCode()).as(claude.body()).isEqualTo(200);
        JsonNode sent = STUB.received.poll().body();
        assertThat(sent.path("system").asString()).isEqualTo("Be brief");
        assertThat(sent.path("messages")).hasSize(1);
        assertThat(sent.path("max_tokens").asLong()).isEqualTo(4096);
        assertThat(only(a).counts()).isEqualTo(new TokenCounts(50, 2000, 300, 80, 0));

        HttpResponse<String> none = post(
                "/api/v1/inference", null, "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        HttpResponse<String> bad = post(
                "/api/v1/inference",
                t.secret(),
                "{\"model\":\"demo\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json.readTree(bad.body()).path("code").asString()).isEqualTo("validation_failed");
        HttpResponse<String> missing = post(
                "/api/v1/inference",
                t.secret(),
                "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(missing.statusCode()).isEqualTo(404);
    }

    @Test
    @DisplayName("Anthropic's surface: x-api-key, JSON and stream, Anthropic's envelope for errors")
    void anthropicDemo() throws Exception {
        IssuedToken t = token();
        String body = "{\"model\":\"demo\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        HttpResponse<String> r =
                post("/v1/messages", null, body, "x-api-key", t.secret(), "anthropic-version", "2023-06-01");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json.readTree(r.body()).path("type").asString()).isEqualTo("message");
        HttpResponse<String> s = post(
                "/v1/messages",
                null,
                body.replace("{\"model\"", "{\"stream\":true,\"model\""),
                "x-api-key",
                t.secret());
        assertThat(s.body()).contains("event: message_start").contains("event: message_stop");
        HttpResponse<String> refused = post("/v1/messages", null, body, "x-api-key", "tk_wrong");
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(json.readTree(refused.body()).path("type").asString()).isEqualTo("error");
        assertThat(errorType(refused)).isEqualTo("authentication_error");
        // two different credentials are refused, whichever one is valid
        HttpResponse<String> two = post("/v1/messages", t.secret(), body, "x-api-key", "tk_other");
        assertThat(two.statusCode()).isEqualTo(400);
        assertThat(errorType(two)).isEqualTo("invalid_request_error");
        assertThat(json.readTree(two.body()).path("error").path("message").asString())
                .contains("different tokens");
    }

    /** {@code POST /v1/messages/count_tokens} of a one-message request to {@code model}, the token in x-api-key. */
    HttpResponse<String> countTokens(String model, @org.jspecify.annotations.Nullable String secret, String... headers)
            throws Exception {
        String body =
                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Count me, please\"}]}";
        List<String> h = new java.util.ArrayList<>(List.of(headers));
        if (secret != null) {
            h.addAll(List.of("x-api-key", secret));
        }
        return post("/v1/messages/count_tokens?beta=true", null, body, h.toArray(String[]::new));
    }

    /** A token that may call the demo model only. */
    IssuedToken onlyDemo() {
        return keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("d")
                        .allowedModels(java.util.Set.of("demo"))
                        .build());
    }

    @Test
    @DisplayName("Anthropic's count_tokens: counted by the provider (the demo model by the gateway), nothing recorded")
    void countTokens() throws Exception {
        IssuedToken t = token();
        HttpResponse<String> local = countTokens("demo", t.secret());
        assertThat(local.statusCode()).as(local.body()).isEqualTo(200);
        assertThat(json.readTree(local.body()).path("input_tokens").asLong()).isPositive();
        int before = STUB.received.size();
        HttpResponse<String> counted =
                countTokens("anthropic/claude-sonnet-4-5", t.secret(), "anthropic-beta", "token-counting-2024-11-01");
        assertThat(counted.statusCode()).as(counted.body()).isEqualTo(200);
        assertThat(json.readTree(counted.body()).path("input_tokens").asLong()).isEqualTo(1234);
        StubProvider.Received sent =
                STUB.received.stream().skip(before).findFirst().orElseThrow();
        assertThat(sent.path()).isEqualTo("/v1/messages/count_tokens");
        assertThat(sent.headers().get("X-api-key")).containsExactly(StubProvider.KEY);
        assertThat(sent.headers().get("Anthropic-beta")).containsExactly("token-counting-2024-11-01");
        assertThat(sent.body().path("model").asString()).isEqualTo("claude-sonnet-4-5");
        assertThat(sent.body().has("max_tokens")).isFalse();
        // not an LLM call: nothing reserved, nothing recorded
        keeper.flush();
        assertThat(keeper.traces()
                        .list(TraceQuery.builder("default").token(t.info().id()).build())
                        .items())
                .isEmpty();
        // refused as the Messages surface refuses, in Anthropic's envelope
        HttpResponse<String> none = countTokens("demo", null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(errorType(none)).isEqualTo("authentication_error");
        HttpResponse<String> openAi = countTokens("gpt-4o", t.secret());
        assertThat(openAi.statusCode()).isEqualTo(400);
        assertThat(openAi.body()).contains("/v1/chat/completions");
        HttpResponse<String> notAllowed =
                countTokens("claude-sonnet-4-5", onlyDemo().secret());
        assertThat(notAllowed.statusCode()).isEqualTo(403);
        assertThat(errorType(notAllowed)).isEqualTo("permission_error");
        HttpResponse<String> failing = countTokens("claude-sonnet-4-5-500", t.secret());
        assertThat(failing.statusCode()).isEqualTo(502);
        assertThat(failing.body()).doesNotContain("org-secret-internal");
        // the token's per-request rate limit counts it, as the servlet filter counts a request
        IssuedToken limited = token();
        keeper.limits()
                .create(LimitSpec.builder("default")
                        .name("one a minute")
                        .token(limited.info().id())
                        .requests(1)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        assertThat(countTokens("demo", limited.secret()).statusCode()).isEqualTo(200);
        HttpResponse<String> second = countTokens("demo", limited.secret());
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(second.headers().firstValue("Retry-After")).isPresent();
        assertThat(errorType(second)).isEqualTo("rate_limit_error");
    }

    @Test
    @DisplayName("refusals come before the provider is called, in OpenAI's envelope with the filter's statuses")
    void refusals() throws Exception {
        int before = STUB.received.size();
        HttpResponse<String> none = post("/v1/chat/completions", null, chat("gpt-4o", false));
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(errorCode(none)).isEqualTo("missing_token");
        assertThat(post("/v1/chat/completions", "tk_nope", chat("gpt-4o", false))
                        .statusCode())
                .isEqualTo(401);

        IssuedToken t = token();
        HttpResponse<String> unknown = post("/v1/chat/completions", t.secret(), chat("llama-9", false));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(errorCode(unknown)).isEqualTo("model_not_found");

        keeper.limits()
                .create(LimitSpec.builder("default")
                        .name("tiny")
                        .scope(LimitScope.TOKEN, t.info().id())
                        .amount(LimitMetric.TOKENS, 10)
                        .period(LimitPeriod.DAY)
                        .build());
        HttpResponse<String> budget = post("/v1/chat/completions", t.secret(), chat("gpt-4o", false));
        assertThat(budget.statusCode()).isEqualTo(403);
        assertThat(errorCode(budget)).isEqualTo("budget_exceeded");

        IssuedToken rated = token();
        Limit twoAMinute = keeper.limits()
                .create(LimitSpec.builder("default")
                        .name("two a minute")
                        .scope(LimitScope.TOKEN, rated.info().id())
                        .amount(LimitMetric.REQUESTS, 2)
                        .period(LimitPeriod.ROLLING_MINUTE)
                        .build());
        String id = "\"" + twoAMinute.id() + "\"";
        // the IETF RateLimit fields on success: what is left, and the seconds until the limit is whole
        HttpResponse<String> first = post("/v1/chat/completions", rated.secret(), chat("demo", false));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("RateLimit-Policy")).hasValue(id + ";q=2;w=60");
        assertThat(first.headers().firstValue("RateLimit")).hasValue(id + ";r=1;t=30");
        HttpResponse<String> second = post("/v1/chat/completions", rated.secret(), chat("demo", false));
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("RateLimit")).hasValue(id + ";r=0;t=60");
        HttpResponse<String> limited = post("/v1/chat/completions", rated.secret(), chat("demo", false));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(limited.headers().firstValue("RateLimit-Policy")).hasValue(id + ";q=2;w=60");
        assertThat(limited.headers().firstValue("RateLimit"))
                .hasValueSatisfying(v -> assertThat(v).startsWith(id + ";r=0;t="));
        // no rate limit on the token, no RateLimit fields
        assertThat(post("/v1/chat/completions", t.secret(), chat("demo", false))
                        .headers()
                        .firstValue("RateLimit"))
                .isEmpty();

        assertThat(post("/v1/chat/completions", t.secret(), "{not json").statusCode())
                .isEqualTo(400);
        assertThat(post("/v1/chat/completions", t.secret(), "{\"messages\":[]}").statusCode())
                .isEqualTo(400);
        HttpResponse<String> wrongSurface = post("/v1/chat/completions", t.secret(), chat("claude-sonnet-4-5", false));
        assertThat(wrongSurface.statusCode()).isEqualTo(400);
        assertThat(STUB.received.size()).isEqualTo(before);
    }

    @Test
    @DisplayName("an OpenAI call: the gateway's key upstream, never the client's token; usage split into billing"
            + " categories; the answer relayed")
    void openAiUpstream() throws Exception {
        IssuedToken t = token();
        STUB.received.clear();
        HttpResponse<String> r = post("/v1/chat/completions", t.secret(), chat("gpt-4o", false));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        StubProvider.Received got = STUB.received.poll();
        assertThat(got.headers().get("Authorization")).containsExactly("Bearer " + StubProvider.KEY);
        assertThat(got.headers().toString()).doesNotContain(t.secret());
        assertThat(got.body().path("max_completion_tokens").asLong()).isEqualTo(4096);
        Trace trace = only(t);
        // prompt 1200 of which 1000 cached; completion 300 of which 100 reasoning
        assertThat(trace.counts()).isEqualTo(new TokenCounts(200, 1000, 0, 200, 100));
        assertThat(trace.source()).isEqualTo(UsageSource.REPORTED);
        assertThat(r.body()).doesNotContain(StubProvider.KEY);
    }

    @Test
    @DisplayName("an OpenAI stream: usage asked for upstream, its chunk not relayed, counts recorded")
    void openAiStream() throws Exception {
        IssuedToken t = token();
        STUB.received.clear();
        HttpResponse<String> r = post("/v1/chat/completions", t.secret(), chat("gpt-4o", true));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(STUB.received
                        .poll()
                        .body()
                        .path("stream_options")
                        .path("include_usage")
                        .asBoolean())
                .isTrue();
        assertThat(r.body()).contains("word").endsWith("data: [DONE]\n\n").doesNotContain("prompt_tokens");
        assertThat(only(t).counts()).isEqualTo(new TokenCounts(200, 1000, 0, 200, 100));
    }

    @Test
    @DisplayName("an Anthropic call and stream: cache reads and writes recorded as such")
    void anthropicUpstream() throws Exception {
        IssuedToken t = token();
        String body =
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        HttpResponse<String> r = post(
                "/v1/messages", null, body, "x-api-key", t.secret(), "anthropic-beta", "prompt-caching-2024-07-31");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(only(t).counts()).isEqualTo(new TokenCounts(50, 2000, 300, 80, 0));
        IssuedToken t2 = token();
        HttpResponse<String> s = post(
                "/v1/messages",
                null,
                body.replace("{\"model\"", "{\"stream\":true,\"model\""),
                "x-api-key",
                t2.secret());
        assertThat(s.body()).contains("message_stop");
        assertThat(only(t2).counts()).isEqualTo(new TokenCounts(50, 2000, 300, 80, 0));
    }

    @Test
    @DisplayName("provider errors map to the client's envelope without internals, and settle the permit")
    void providerErrors() throws Exception {
        Map<String, Integer> expected =
                Map.of("gpt-4o-500", 502, "gpt-4o-401", 502, "gpt-4o-429", 429, "gpt-4o-400", 400);
        CapturedLog log = new CapturedLog(dev.tokenkeeper.app.gateway.Gateway.class);
        try (log) {
            for (var e : expected.entrySet()) {
                IssuedToken t = token();
                HttpResponse<String> r = post("/v1/chat/completions", t.secret(), chat(e.getKey(), false));
                assertThat(r.statusCode()).as(e.getKey()).isEqualTo(e.getValue());
                assertThat(r.body()).doesNotContain(StubProvider.KEY);
                if (e.getValue() == 429) {
                    assertThat(r.headers().firstValue("Retry-After")).hasValue("7");
                }
                if (e.getValue() == 502) {
                    assertThat(r.body()).doesNotContain("org-secret-internal");
                }
                Trace trace = only(t);
                assertThat(trace.outcome()).isEqualTo(CallOutcome.ERROR);
            }
        }
        assertThat(log.messages()).containsExactly("provider openai refused the gateway's key (401)");
        assertThat(keeper.openPermits()).isZero();
    }

    @Test
    @DisplayName("a provider that does not answer in time is a 504, and the permit is settled")
    void timeout() throws Exception {
        IssuedToken t = token();
        // the stub would hold the call for a minute without an answer's head, then drop it (a 502)
        HttpResponse<String> r = post("/v1/chat/completions", t.secret(), chat("gpt-4o-hang", false));
        assertThat(r.statusCode()).isEqualTo(504);
        Trace trace = only(t);
        assertThat(trace.outcome()).isEqualTo(CallOutcome.ERROR);
        assertThat(trace.errorMessage()).isEqualTo("provider timeout");
        assertThat(keeper.openPermits()).isZero();
    }

    @Test
    @DisplayName("a stream that stalls after its first events is dropped at the provider's timeout, and recorded"
            + " as a timeout with what was seen")
    void stallingStream() throws Exception {
        IssuedToken t = token();
        // the stub would hold the stream for a minute, then end it (a cut, not a timeout)
        HttpResponse<String> r = post("/v1/chat/completions", t.secret(), chat("gpt-4o-stall", true));
        assertThat(r.body()).contains("word").doesNotContain("[DONE]");
        Trace trace = only(t);
        assertThat(trace.outcome()).isEqualTo(CallOutcome.ERROR);
        assertThat(trace.errorMessage()).isEqualTo("provider timeout");
        assertThat(trace.source()).isEqualTo(UsageSource.PARTIAL);
        assertThat(trace.counts().output()).isPositive();
        assertThat(keeper.openPermits()).isZero();
    }

    @Test
    @DisplayName("a usage-less answer is recorded with an estimate, flagged, never as free")
    void noUsage() throws Exception {
        IssuedToken t = token();
        assertThat(post("/v1/chat/completions", t.secret(), chat("gpt-4o-nousage", false))
                        .statusCode())
                .isEqualTo(200);
        Trace trace = only(t);
        assertThat(trace.source()).isEqualTo(UsageSource.ESTIMATED);
        assertThat(trace.counts().input()).isPositive();
        assertThat(trace.counts().output()).isPositive();
    }

    @Test
    @DisplayName(
            "a stream the provider cuts is recorded as an error with what was seen; Anthropic clients get an error event")
    void cutStreams() throws Exception {
        IssuedToken t = token();
        HttpResponse<String> r = post("/v1/chat/completions", t.secret(), chat("gpt-4o-cut", true));
        assertThat(r.body()).contains("word").doesNotContain("[DONE]");
        Trace trace = only(t);
        assertThat(trace.outcome()).isEqualTo(CallOutcome.ERROR);
        assertThat(trace.source()).isEqualTo(UsageSource.PARTIAL);
        assertThat(trace.counts().output()).isPositive();

        IssuedToken t2 = token();
        HttpResponse<String> a = post(
                "/v1/messages",
                null,
                "{\"model\":\"claude-x-cut\",\"stream\":true,\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "x-api-key",
                t2.secret());
        assertThat(a.body()).contains("event: error");
        Trace at = only(t2);
        assertThat(at.outcome()).isEqualTo(CallOutcome.ERROR);
        assertThat(at.counts().cachedInput()).isEqualTo(2000);
    }

    @org.junit.jupiter.api.Timeout(60)
    @Test
    @DisplayName(
            "a client that goes away mid-stream: the provider's call is dropped and the call recorded as cancelled")
    void clientGoesAway() throws Exception {
        IssuedToken t = token();
        STUB.clientGone = new java.util.concurrent.CountDownLatch(1);
        STUB.gate.drainPermits();
        HttpRequest req = HttpRequest.newBuilder(URI.create(base() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(chat("gpt-4o-gated", true)))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + t.secret())
                .build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).startsWith("data: ");
        r.body().close(); // the client goes away
        // let the stub send until the gateway's write fails and it drops the provider's connection
        while (!STUB.clientGone.await(50, TimeUnit.MILLISECONDS)) {
            STUB.gate.release();
        }
        keeper.flush();
        Trace trace;
        while ((trace =
                        keeper
                                .traces()
                                .list(TraceQuery.builder("default")
                                        .token(t.info().id())
                                        .build())
                                .items()
                                .stream()
                                .findFirst()
                                .orElse(null))
                == null) {
            STUB.gate.release();
            keeper.flush();
            Thread.onSpinWait();
        }
        assertThat(trace.outcome()).isEqualTo(CallOutcome.CANCELLED);
        assertThat(trace.source()).isEqualTo(UsageSource.PARTIAL);
        assertThat(trace.counts().output()).isPositive();
        // what showed the client gone is the trace's error
        assertThat(trace.errorMessage()).startsWith("client gone: ");
    }

    @Test
    @DisplayName("unknown paths are 404s in the envelope; /v1/models lists what the token may call")
    void pathsAndModels() throws Exception {
        IssuedToken t = token();
        HttpResponse<String> unknown = post("/v1/completions", t.secret(), chat("gpt-4o", false));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(errorCode(unknown)).isEqualTo("unknown_endpoint");
        // a surface's path with another method, or with a trailing slash, is no surface either
        HttpResponse<String> get = get("/v1/chat/completions", t.secret());
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(errorCode(get)).isEqualTo("unknown_endpoint");
        HttpResponse<String> slash = post("/v1/messages/", t.secret(), chat("gpt-4o", false));
        assertThat(slash.statusCode()).isEqualTo(404);
        assertThat(json.readTree(slash.body()).path("type").asString()).isEqualTo("error"); // Anthropic's envelope
        assertThat(errorType(slash)).isEqualTo("not_found_error");
        HttpResponse<String> models = get("/v1/models", t.secret());
        assertThat(models.statusCode()).isEqualTo(200);
        List<String> ids = json.readTree(models.body())
                .path("data")
                .valueStream()
                .map(m -> m.path("id").asString())
                .toList();
        assertThat(ids).contains("demo", "gpt-4.1").doesNotContain("gpt-4o*");
        // one model by its id; a pattern is no model, and a model the token may not call is not found
        HttpResponse<String> one = get("/v1/models/gpt-4.1", t.secret());
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(json.readTree(one.body()).path("owned_by").asString()).isEqualTo("openai");
        assertThat(get("/v1/models/gpt-4o*", t.secret()).statusCode()).isEqualTo(404);
        // Anthropic's shape when the client says anthropic-version, paged as its API pages
        assertThat(ids).hasSizeGreaterThan(2); // so that the pages below are several
        List<String> paged = new java.util.ArrayList<>();
        String after = null;
        boolean more = true;
        while (more) {
            HttpResponse<String> page = get(
                    "/v1/models?limit=2" + (after == null ? "" : "&after_id=" + after),
                    t.secret(),
                    "anthropic-version",
                    "2023-06-01");
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            JsonNode p = json.readTree(page.body());
            p.path("data").forEach(m -> {
                assertThat(m.path("type").asString()).isEqualTo("model");
                paged.add(m.path("id").asString());
            });
            assertThat(p.path("data").size()).isBetween(1, 2);
            assertThat(p.path("first_id").asString())
                    .isEqualTo(p.path("data").get(0).path("id").asString());
            after = p.path("last_id").asString();
            more = p.path("has_more").asBoolean();
        }
        assertThat(paged).isEqualTo(ids);
        JsonNode back = json.readTree(get(
                        "/v1/models?limit=1&before_id=" + ids.get(ids.size() - 1),
                        t.secret(),
                        "anthropic-version",
                        "2023-06-01")
                .body());
        assertThat(back.path("first_id").asString()).isEqualTo(ids.get(ids.size() - 2));
        assertThat(back.path("has_more").asBoolean()).isEqualTo(ids.size() > 2);
        HttpResponse<String> badLimit = get("/v1/models?limit=0", t.secret(), "anthropic-version", "2023-06-01");
        assertThat(badLimit.statusCode()).isEqualTo(400);
        assertThat(errorType(badLimit)).isEqualTo("invalid_request_error");
        assertThat(get("/v1/models?after_id=nope", t.secret(), "anthropic-version", "2023-06-01")
                        .statusCode())
                .isEqualTo(400);
        // the list refuses a missing or malformed credential as the surfaces and the servlet filter do
        HttpResponse<String> none = http.send(
                HttpRequest.newBuilder(URI.create(base() + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(errorCode(none)).isEqualTo("missing_token");
        HttpResponse<String> basic = http.send(
                HttpRequest.newBuilder(URI.create(base() + "/v1/models"))
                        .header("Authorization", "Basic dXNlcjpwYXNz")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(basic.statusCode()).isEqualTo(400);
        assertThat(errorCode(basic)).isEqualTo("invalid_credentials");
        IssuedToken gone = token();
        keeper.tokens().revoke("default", gone.info().id());
        HttpResponse<String> revoked = get("/v1/models", gone.secret());
        assertThat(revoked.statusCode()).isEqualTo(401);
        assertThat(errorCode(revoked)).isEqualTo("token_revoked");
        IssuedToken onlyDemo = onlyDemo();
        HttpResponse<String> narrow = get("/v1/models", onlyDemo.secret());
        assertThat(json.readTree(narrow.body())
                        .path("data")
                        .valueStream()
                        .map(m -> m.path("id").asString()))
                .containsExactly("demo");
        assertThat(get("/v1/models/gpt-4.1", onlyDemo.secret()).statusCode()).isEqualTo(404);
        // a name two providers list is listed once, with the provider its calls go to, and only to a
        // token that may call that provider
        List<JsonNode> dup = json.readTree(models.body())
                .path("data")
                .valueStream()
                .filter(m -> m.path("id").asString().equals("dup-model"))
                .toList();
        assertThat(dup).hasSize(1);
        String routedTo = dup.get(0).path("owned_by").asString();
        String other = routedTo.equals("openai") ? "anthropic" : "openai";
        IssuedToken onlyOther = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("o")
                        .allowedProviders(java.util.Set.of(other))
                        .build());
        HttpResponse<String> otherList = get("/v1/models", onlyOther.secret());
        assertThat(otherList.statusCode()).isEqualTo(200);
        // the other provider lists the name too, but a call naming it would go to the first
        assertThat(json.readTree(otherList.body())
                        .path("data")
                        .valueStream()
                        .map(m -> m.path("id").asString()))
                .doesNotContain("dup-model");
    }

    @Test
    @DisplayName(
            "size limits: a request over max-request-size is a 413, an answer over max-response-size a 502, settled")
    void sizeLimits() throws Exception {
        IssuedToken t = token();
        String big =
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "y".repeat(300_000) + "\"}]}";
        HttpResponse<String> tooBig = post("/v1/chat/completions", t.secret(), big);
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(errorCode(tooBig)).isEqualTo("request_too_large");
        HttpResponse<String> huge = post("/v1/chat/completions", t.secret(), chat("gpt-4o-huge", false));
        assertThat(huge.statusCode()).isEqualTo(502);
        assertThat(only(t).outcome()).isEqualTo(CallOutcome.ERROR);
        assertThat(keeper.openPermits()).isZero();
    }

    @Test
    @DisplayName("no request can make the gateway call a host that configuration does not name")
    void noSsrf() throws Exception {
        IssuedToken t = token();
        int before = STUB.received.size();
        for (String model : List.of(
                "http://169.254.169.254/latest/meta-data",
                "//evil.example/gpt-4o",
                "evil.example/gpt-4o",
                "openai/../../evil",
                "openai/http://evil.example/gpt-4o")) {
            HttpResponse<String> r =
                    post("/v1/chat/completions", t.secret(), chat(model, false), "X-Forwarded-Host", "evil.example");
            assertThat(r.statusCode()).as(model).isIn(400, 404);
        }
        // a listed model under hostile forwarding headers still goes to the configured base URL only
        HttpResponse<String> r = post(
                "/v1/chat/completions",
                t.secret(),
                chat("openai/gpt-4o", false),
                "X-Forwarded-Host",
                "evil.example",
                "X-Forwarded-Proto",
                "http");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(STUB.received.size()).isEqualTo(before + 1);
    }

    @Test
    @DisplayName("after a mixed run, the ledger holds what the provider reported, call for call, and a budget's counter"
            + " equals the ledger")
    void ledgerEqualsReports() throws Exception {
        IssuedToken t = token();
        String limit = keeper.limits()
                .create(LimitSpec.builder("default")
                        .name("watch")
                        .scope(LimitScope.TOKEN, t.info().id())
                        .amount(LimitMetric.TOKENS, 10_000_000)
                        .period(LimitPeriod.DAY)
                        .build())
                .id();
        String claude =
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        assertThat(post("/v1/chat/completions", t.secret(), chat("gpt-4o", false))
                        .statusCode())
                .isEqualTo(200);
        assertThat(post("/v1/chat/completions", t.secret(), chat("gpt-4o", true))
                        .statusCode())
                .isEqualTo(200);
        assertThat(post("/v1/messages", null, claude, "x-api-key", t.secret()).statusCode())
                .isEqualTo(200);
        assertThat(post(
                                "/v1/messages",
                                null,
                                claude.replace("{\"model\"", "{\"stream\":true,\"model\""),
                                "x-api-key",
                                t.secret())
                        .statusCode())
                .isEqualTo(200);
        assertThat(post("/v1/responses", t.secret(), "{\"model\":\"gpt-4o\",\"stream\":true,\"input\":\"Hi\"}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(post("/v1/embeddings", t.secret(), "{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(post("/v1/chat/completions", t.secret(), chat("gpt-4o-500", false))
                        .statusCode())
                .isEqualTo(502);
        keeper.flush();
        List<Trace> traces = keeper.traces()
                .list(TraceQuery.builder("default").token(t.info().id()).build())
                .items();
        assertThat(traces).hasSize(7);
        // what the stub reported for each call: OpenAI chat 1200+300, Anthropic 50+2000+300+80,
        // Responses 900+120, embeddings 42; the failed call none
        assertThat(traces.stream()
                        .mapToLong(x -> x.counts().totalInput() + x.counts().totalOutput())
                        .sum())
                .isEqualTo(2 * 1500 + 2 * 2430 + 1020 + 42);
        assertThat(traces)
                .filteredOn(x -> x.outcome() == CallOutcome.SUCCESS)
                .allSatisfy(x -> assertThat(x.source()).isEqualTo(UsageSource.REPORTED));
        assertThat(keeper.limits().usage("default", limit).used())
                .isEqualTo(traces.stream()
                        .mapToLong(x -> x.counts().totalInput() + x.counts().totalOutput())
                        .sum());
    }

    @Test
    @DisplayName("LangChain4j's own OpenAI and Anthropic chat models, unchanged but for base URL and key, JSON and"
            + " streaming, recorded with what the provider reported")
    void langChain4j() throws Exception {
        IssuedToken t = token();
        var openAi = dev.langchain4j.model.openai.OpenAiChatModel.builder()
                .baseUrl(base() + "/v1")
                .apiKey(t.secret())
                .modelName("gpt-4o")
                .build();
        var answer = openAi.chat(dev.langchain4j.data.message.UserMessage.from("Hi"));
        assertThat(answer.aiMessage().text()).isEqualTo("hello");
        assertThat(answer.tokenUsage().inputTokenCount()).isEqualTo(1200);

        var openAiStreaming = dev.langchain4j.model.openai.OpenAiStreamingChatModel.builder()
                .baseUrl(base() + "/v1")
                .apiKey(t.secret())
                .modelName("gpt-4o")
                .build();
        assertThat(stream(openAiStreaming).aiMessage().text()).isEqualTo("word word word ");

        var anthropic = dev.langchain4j.model.anthropic.AnthropicChatModel.builder()
                .baseUrl(base() + "/v1/")
                .apiKey(t.secret())
                .modelName("claude-sonnet-4-5")
                .maxTokens(100)
                .build();
        var claude = anthropic.chat(dev.langchain4j.data.message.UserMessage.from("Hi"));
        assertThat(claude.aiMessage().text()).isEqualTo("hello");

        var anthropicStreaming = dev.langchain4j.model.anthropic.AnthropicStreamingChatModel.builder()
                .baseUrl(base() + "/v1/")
                .apiKey(t.secret())
                .modelName("claude-sonnet-4-5")
                .maxTokens(100)
                .build();
        assertThat(stream(anthropicStreaming).aiMessage().text()).isEqualTo("hello there");

        var demo = dev.langchain4j.model.openai.OpenAiChatModel.builder()
                .baseUrl(base() + "/v1")
                .apiKey(t.secret())
                .modelName("demo")
                .build();
        assertThat(demo.chat("Hello LangChain4j")).contains("Hello LangChain4j");

        keeper.flush();
        List<Trace> traces = keeper.traces()
                .list(TraceQuery.builder("default").token(t.info().id()).build())
                .items();
        assertThat(traces).hasSize(5).allSatisfy(x -> {
            assertThat(x.outcome()).isEqualTo(CallOutcome.SUCCESS);
            assertThat(x.source()).isEqualTo(UsageSource.REPORTED);
        });
        assertThat(traces)
                .filteredOn(x -> x.provider().equals("openai"))
                .extracting(Trace::counts)
                .containsOnly(new TokenCounts(200, 1000, 0, 200, 100));
        assertThat(traces)
                .filteredOn(x -> x.provider().equals("anthropic"))
                .extracting(Trace::counts)
                .containsOnly(new TokenCounts(50, 2000, 300, 80, 0));
    }

    private static dev.langchain4j.model.chat.response.ChatResponse stream(
            dev.langchain4j.model.chat.StreamingChatModel model) throws Exception {
        var done = new java.util.concurrent.CompletableFuture<dev.langchain4j.model.chat.response.ChatResponse>();
        model.chat("Hi", new dev.langchain4j.model.chat.response.StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {}

            @Override
            public void onCompleteResponse(dev.langchain4j.model.chat.response.ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return done.get(30, TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("the provider key never reaches a client or the log")
    void keyNeverLeaks(CapturedOutput output) throws Exception {
        IssuedToken t = token();
        CapturedLog log = new CapturedLog(dev.tokenkeeper.app.gateway.Gateway.class);
        try (log) {
            for (String model : List.of("gpt-4o", "gpt-4o-401", "gpt-4o-500", "gpt-4o-hang")) {
                assertThat(post("/v1/chat/completions", t.secret(), chat(model, false))
                                .body())
                        .doesNotContain(StubProvider.KEY);
            }
        }
        assertThat(log.messages()).isNotEmpty().noneMatch(m -> m.contains(StubProvider.KEY));
        assertThat(output.getAll()).doesNotContain(StubProvider.KEY).doesNotContain(t.secret());
    }
}
