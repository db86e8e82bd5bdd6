package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitPeriod;
import dev.tokenkeeper.limits.LimitScope;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageDimension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;

/**
 * docs/rest-api.md and the app agree: the same endpoints, the same value lists, the health example's
 * schema version, and an error table that holds every answer the app gives to bad requests, each a
 * problem document with a type and a code.
 */
@DisplayName("docs/rest-api.md and the app")
class RestApiDocTest extends BootedApp {
    private static final Pattern ENDPOINT =
            Pattern.compile("^\\| `(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`?]*)", Pattern.MULTILINE);
    private static final Pattern ERROR_ROW = Pattern.compile("^\\| (\\d{3}) \\| ([^|]+)\\|", Pattern.MULTILINE);

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    private final String doc = read();

    private static String read() {
        try {
            return Files.readString(Path.of("../docs/rest-api.md"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        b.header("Authorization", "Bearer " + admin);
        for (int i = 0; i < headers.length; i += 2) {
            b.setHeader(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> sendBytes(String path, byte[] body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base() + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> sendChunked(String path, String body) throws Exception {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpRequest r = HttpRequest.newBuilder(URI.create(base() + path))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes)))
                .header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("lists exactly the app's endpoints")
    void endpoints() {
        Set<String> documented = new TreeSet<>();
        Matcher m = ENDPOINT.matcher(doc);
        while (m.find()) {
            documented.add(m.group(1) + " " + m.group(2).strip());
        }
        // "/by-project`, `/by-provider` ..." rows name their siblings after the first
        Matcher siblings = Pattern.compile(
                        "^\\| `GET (/api/v1/usage)/by-project`((?:, `/by-[a-z]+`)+)", Pattern.MULTILINE)
                .matcher(doc);
        if (siblings.find()) {
            for (String s : siblings.group(2).split(", ")) {
                if (!s.isBlank()) {
                    documented.add(
                            "GET " + siblings.group(1) + s.replace("`", "").strip());
                }
            }
        }
        Set<String> served = new TreeSet<>();
        for (RequestMappingInfo info : mappings.getHandlerMethods().keySet()) {
            for (String path : info.getPatternValues()) {
                if (!path.startsWith("/api/v1/")) {
                    continue;
                }
                for (var method : info.getMethodsCondition().getMethods()) {
                    if (path.endsWith("/by-{dimension}")) { // one handler serves each dimension
                        for (UsageDimension d : UsageDimension.values()) {
                            served.add(method.name() + " " + path.replace("{dimension}", lower(d)));
                        }
                    } else {
                        served.add(method.name() + " " + path);
                    }
                }
            }
        }
        assertThat(placeholders(documented)).as("endpoints in docs/rest-api.md").isEqualTo(placeholders(served));
    }

    @Test
    @DisplayName("lists every scope, metric, period and trace status the app takes")
    void valueLists() {
        String limits = row("POST /api/v1/limits");
        for (LimitScope s : LimitScope.values()) {
            assertThat(limits).as("scope").contains("`" + lower(s) + "`");
        }
        for (LimitMetric x : LimitMetric.values()) {
            assertThat(limits).as("metric").contains("`" + lower(x) + "`");
        }
        for (LimitPeriod p : LimitPeriod.values()) {
            assertThat(limits).as("period").contains("`" + lower(p) + "`");
        }
        String traces = row("GET /api/v1/traces");
        for (CallOutcome o : CallOutcome.values()) {
            assertThat(traces).as("status").contains("`" + lower(o) + "`");
        }
    }

    @Test
    @DisplayName("shows the health answer the app gives, schema version included")
    void health() throws Exception {
        JsonNode live = json.readTree(send("GET", "/api/v1/health", null).body());
        Matcher m = Pattern.compile("\"schema_version\":\"([^\"]+)\"").matcher(row("GET /api/v1/health"));
        assertThat(m.find()).isTrue();
        assertThat(m.group(1))
                .isEqualTo(live.path("storage").path("schema_version").asString());
    }

    @Test
    @DisplayName(
            "every bad request gets a problem document with type and code that the error table lists, and the log stays quiet")
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void errors(org.springframework.boot.test.system.CapturedOutput log) throws Exception {
        List<HttpResponse<String>> answers = List.of(
                send("GET", "/api/v1/no-such-thing", null),
                send("DELETE", "/api/v1/health", null),
                send("POST", "/api/v1/tokens", "name=x", "Content-Type", "text/plain"),
                send("GET", "/api/v1/tokens", null, "Accept", "text/csv"),
                send("POST", "/api/v1/tokens", "{not json", "Content-Type", "application/json"),
                send("POST", "/api/v1/tokens", "{\"name\":\"x\",\"nmae\":\"y\"}", "Content-Type", "application/json"),
                send(
                        "POST",
                        "/api/v1/tokens",
                        "{\"name\":\"x\",\"expires_in_seconds\":1.5}",
                        "Content-Type",
                        "application/json"),
                send(
                        "POST",
                        "/api/v1/tokens",
                        "{\"name\":\"x\",\"expires_in_seconds\":\"60\"}",
                        "Content-Type",
                        "application/json"),
                send(
                        "POST",
                        "/api/v1/tokens",
                        "{\"name\":\"x\",\"expires_at\":\"\"}",
                        "Content-Type",
                        "application/json"),
                send(
                        "POST",
                        "/api/v1/limits",
                        "{\"name\":\"x\",\"metric\":\"tokens\",\"amount\":200}",
                        "Content-Type",
                        "application/json"),
                send(
                        "POST",
                        "/api/v1/limits",
                        "{\"name\":\"x\",\"metric\":\"cost_usd\",\"amount\":\"1e10000000\"}",
                        "Content-Type",
                        "application/json"),
                send("GET", "/api/v1/tokens/nope", null),
                send("GET", "/api/v1/tokens", null, "Authorization", "Bearer\t" + admin),
                send(
                        "OPTIONS",
                        "/api/v1/tokens",
                        null,
                        "Origin",
                        "https://evil.example",
                        "Access-Control-Request-Method",
                        "DELETE",
                        "Authorization",
                        "Bearer x"),
                send("GET", "/error", null),
                // values out of range: each a 400 naming the field, never a 500
                send(
                        "POST",
                        "/api/v1/tokens",
                        "{\"name\":\"x\",\"expires_in_seconds\":9223372036854775807}",
                        "Content-Type",
                        "application/json"),
                send(
                        "POST",
                        "/api/v1/tokens",
                        "{\"name\":\"x\",\"expires_at\":\"+1000000000-01-01T00:00:00Z\"}",
                        "Content-Type",
                        "application/json"),
                send("GET", "/api/v1/usage?from=-1000000000-01-01T00:00:00Z", null),
                send("GET", "/api/v1/traces?to=+1000000000-01-01T00:00:00Z", null),
                send("GET", "/api/v1/audit?from=-1000000000-01-01T00:00:00Z", null),
                send("GET", "/api/v1/traces/export.csv?from=+1000000000-01-01T00:00:00Z", null),
                send(
                        "PUT",
                        "/api/v1/prices",
                        "{\"provider\":\"openai\",\"model\":\"gpt-x\",\"effective_from\":"
                                + "\"+1000000000-01-01T00:00:00Z\",\"input\":\"1\",\"cached_input\":\"1\",\"cache_write\":\"1\","
                                + "\"output\":\"1\",\"source\":\"test\",\"checked_on\":\"2026-12-01\"}",
                        "Content-Type",
                        "application/json"),
                // refused by Tomcat before the application: an encoded slash, and headers over 8 KB
                send("GET", "/api/v1/tokens%2Fx", null),
                send("GET", "/api/v1/tokens", null, "X-Filler", "f".repeat(16 << 10)),
                send(
                        "PUT",
                        "/api/v1/prices",
                        "{\"provider\":\"openai\",\"model\":\"gpt-x\",\"effective_from\":"
                                + "\"2026-12-01T00:00:00Z\",\"input\":\"1e400\",\"cached_input\":\"1\",\"cache_write\":\"1\","
                                + "\"output\":\"99999999999999999999999\",\"source\":\"test\",\"checked_on\":\"2026-12-01\"}",
                        "Content-Type",
                        "application/json"),
                // 200 KB declared: refused before it is read
                send(
                        "POST",
                        "/api/v1/tokens",
                        "{\"name\":\"" + "x".repeat(200 << 10) + "\"}",
                        "Content-Type",
                        "application/json"),
                // an overlong '/' (0xC0 0xAF) in the name: not UTF-8
                sendBytes("/api/v1/tokens", new byte[] {
                    '{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', 'a', (byte) 0xC0, (byte) 0xAF, 'b', '"', '}'
                }),
                // a lone surrogate, written as a JSON escape: not Unicode text
                send("POST", "/api/v1/tokens", "{\"name\":\"a\\ud800b\"}", "Content-Type", "application/json"),
                // 200 KB without a declared length (chunked): reading stops at the cap
                sendChunked("/api/v1/tokens", "{\"name\":\"" + "x".repeat(200 << 10) + "\"}"));
        Set<String> table = errorTable();
        for (HttpResponse<String> r : answers) {
            assertThat(r.statusCode()).as(r.request().toString()).isBetween(400, 499);
            assertThat(r.headers().firstValue("Content-Type"))
                    .as(r.request().toString())
                    .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
            JsonNode body = json.readTree(r.body());
            String code = body.path("code").asString();
            assertThat(body.path("type").asString()).as(r.request() + " type").startsWith("urn:tokenkeeper:problem:");
            assertThat(table)
                    .as(r.request() + " answered " + r.statusCode() + " " + code + ", in the error table")
                    .contains(r.statusCode() + " " + code);
            assertThat(r.body()).doesNotContain("Exception").doesNotContain("org.springframework");
        }
        for (HttpResponse<String> r : answers) { // what browsers and scanners expect, errors included
            assertThat(r.headers().firstValue("X-Content-Type-Options"))
                    .as(r.request().toString())
                    .hasValue("nosniff");
            assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
            assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
            assertThat(r.headers().firstValue("Content-Security-Policy"))
                    .hasValueSatisfying(v -> assertThat(v)
                            .contains("frame-ancestors 'none'", "script-src 'self';", "object-src 'none'")
                            .doesNotContain("unsafe"));
        }
        // Tomcat's own refusals, answered by the app's valve rather than Tomcat's HTML page
        List<HttpResponse<String>> byTomcat = answers.stream()
                .filter(r -> r.request().uri().getRawPath().contains("%2F")
                        || r.request().headers().firstValue("X-Filler").isPresent())
                .toList();
        assertThat(byTomcat).hasSize(2);
        for (HttpResponse<String> tomcat : byTomcat) {
            assertThat(tomcat.statusCode()).isEqualTo(400);
            assertThat(json.readTree(tomcat.body()).path("code").asString()).isEqualTo("malformed_request");
        }
        // no client mistake writes a warning, an error or a stack trace to the log
        assertThat(log.getAll())
                .doesNotContain(" WARN ")
                .doesNotContain(" ERROR ")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
        assertThat(json.readTree(answers.get(5).body()).path("detail").asString())
                .contains("'nmae'");
        assertThat(json.readTree(answers.get(6).body()).path("detail").asString())
                .contains("expires_in_seconds");
    }

    /** "status code" pairs of the error table. */
    private Set<String> errorTable() {
        String errors = doc.substring(doc.indexOf("## Errors"));
        Set<String> pairs = new TreeSet<>();
        Matcher m = ERROR_ROW.matcher(errors);
        while (m.find()) {
            Matcher code = Pattern.compile("`([a-z_]+)`").matcher(m.group(2));
            while (code.find()) {
                pairs.add(m.group(1) + " " + code.group(1));
            }
        }
        return pairs;
    }

    /** Path variables are named as each side likes: {id}, {token_id}, {tokenId} are all "{}". */
    private static Set<String> placeholders(Set<String> endpoints) {
        Set<String> out = new TreeSet<>();
        endpoints.forEach(e -> out.add(e.replaceAll("\\{[^}]*}", "{}")));
        return out;
    }

    private String row(String endpoint) {
        String[] lines = doc.split("\n");
        return Arrays.stream(lines)
                .filter(l -> l.startsWith("| `" + endpoint))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + endpoint));
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
