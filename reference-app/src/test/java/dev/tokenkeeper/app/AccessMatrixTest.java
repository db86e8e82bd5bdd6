package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.limits.LimitMetric;
import dev.tokenkeeper.limits.LimitScope;
import dev.tokenkeeper.limits.LimitSpec;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.UsageEvent;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * The role matrix of docs/rest-api.md, row by row, for each role (admin, user, agent), each through
 * a session and through an API token: the status every endpoint answers. Objects another user owns
 * answer 404 to a user; objects the test changes are made afresh for each call.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("who may do what: the role matrix over HTTP")
class AccessMatrixTest extends BootedApp {
    private static final String PASSWORD = "matrix-long-passphrase";

    @Autowired
    Accounts accounts;

    String run;
    String u1;
    String u2;
    String u2Trace;
    final java.util.Map<String, String> callers = new java.util.LinkedHashMap<>();

    /** One row: a request, and the status for an admin, a user and an agent. */
    record Row(String method, String path, String body, int admin, int user, int agent) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    static List<Row> rows() {
        return List.of(
                new Row("GET", "/api/v1/tokens", null, 200, 200, 403),
                new Row("POST", "/api/v1/tokens", "{\"name\":\"m\"}", 201, 201, 403),
                new Row("GET", "/api/v1/tokens/{u1Token}", null, 200, 200, 403),
                new Row("GET", "/api/v1/tokens/{u2Token}", null, 200, 404, 403),
                new Row("PUT", "/api/v1/tokens/{u1Token}/rotate", null, 200, 200, 403),
                new Row("PUT", "/api/v1/tokens/{u2Token}/rotate", null, 200, 404, 403),
                new Row("PATCH", "/api/v1/tokens/{u2Token}", "{\"expires_at\":null}", 200, 404, 403),
                new Row("DELETE", "/api/v1/tokens/{u1Token}", null, 200, 200, 403),
                new Row("DELETE", "/api/v1/tokens/{u2Token}", null, 200, 404, 403),
                new Row("GET", "/api/v1/usage", null, 200, 200, 403),
                new Row("GET", "/api/v1/usage?user_id={u2}", null, 200, 403, 403),
                new Row("GET", "/api/v1/usage/{u1Token}", null, 200, 200, 403),
                new Row("GET", "/api/v1/usage/{u2Token}", null, 200, 404, 403),
                new Row("GET", "/api/v1/usage/by-user", null, 200, 200, 403),
                new Row("GET", "/api/v1/traces", null, 200, 200, 403),
                new Row("GET", "/api/v1/traces?user_id={u2}", null, 200, 403, 403),
                new Row("GET", "/api/v1/traces/{u2Trace}", null, 200, 404, 403),
                new Row("GET", "/api/v1/traces/export.csv", null, 200, 200, 403),
                new Row("GET", "/api/v1/limits", null, 200, 200, 403),
                new Row("GET", "/api/v1/limits?scope=tenant", null, 200, 403, 403),
                new Row(
                        "POST",
                        "/api/v1/limits",
                        "{\"name\":\"t\",\"scope\":\"tenant\",\"metric\":\"tokens\",\"amount\":\"100\"}",
                        201,
                        403,
                        403),
                new Row(
                        "POST",
                        "/api/v1/limits",
                        "{\"name\":\"o\",\"scope\":\"user\",\"scope_id\":\"{u1}\",\"metric\":\"tokens\",\"amount\":\"100\"}",
                        201,
                        201,
                        403),
                new Row(
                        "POST",
                        "/api/v1/limits",
                        "{\"name\":\"o\",\"scope\":\"user\",\"scope_id\":\"{u2}\",\"metric\":\"tokens\",\"amount\":\"100\"}",
                        201,
                        403,
                        403),
                new Row("GET", "/api/v1/limits/{u2Limit}", null, 200, 404, 403),
                new Row("GET", "/api/v1/limits/{u1AdminLimit}", null, 200, 200, 403),
                new Row("GET", "/api/v1/limits/{u1AdminLimit}/usage", null, 200, 200, 403),
                new Row("PATCH", "/api/v1/limits/{u1AdminLimit}", "{\"amount\":\"5\"}", 200, 403, 403),
                new Row("DELETE", "/api/v1/limits/{u1AdminLimit}", null, 204, 403, 403),
                new Row("PATCH", "/api/v1/limits/{u1OwnLimit}", "{\"amount\":\"5\"}", 200, 200, 403),
                new Row("DELETE", "/api/v1/limits/{u1OwnLimit}", null, 204, 204, 403),
                new Row("GET", "/api/v1/users", null, 200, 403, 403),
                new Row(
                        "POST",
                        "/api/v1/users",
                        "{\"username\":\"{newName}\",\"password\":\"" + PASSWORD + "\",\"role\":\"user\"}",
                        201,
                        403,
                        403),
                new Row("GET", "/api/v1/users/{u2}", null, 200, 403, 403),
                new Row("PATCH", "/api/v1/users/{u2}", "{\"role\":\"user\"}", 200, 403, 403),
                new Row("DELETE", "/api/v1/users/{freshUser}", null, 204, 403, 403),
                new Row("GET", "/api/v1/auth/me", null, 200, 200, 403),
                new Row("GET", "/api/v1/audit", null, 200, 200, 403),
                new Row("GET", "/api/v1/audit?scope=system", null, 200, 403, 403),
                new Row("GET", "/api/v1/prices", null, 200, 200, 403),
                new Row(
                        "PUT",
                        "/api/v1/prices",
                        "{\"provider\":\"openai\",\"model\":\"{newName}\",\"input\":\"1\",\"cached_input\":\"0.5\","
                                + "\"cache_write\":\"1\",\"output\":\"2\",\"source\":\"matrix test\"}",
                        200,
                        403,
                        403),
                new Row("GET", "/api/v1/tenants", null, 200, 403, 403),
                new Row("GET", "/api/v1/tenants/default", null, 200, 403, 403),
                new Row(
                        "POST",
                        "/api/v1/tenants",
                        "{\"id\":\"{newTenant}\",\"admin\":{\"username\":\"{newName}\",\"password\":\"" + PASSWORD
                                + "\"}}",
                        201,
                        403,
                        403),
                new Row("GET", "/api/v1/health", null, 200, 200, 200));
    }

    Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Row row : rows()) {
            for (String caller : List.of(
                    "admin session", "admin token", "user session", "user token", "agent session", "agent token")) {
                int expected =
                        caller.startsWith("admin") ? row.admin() : caller.startsWith("user") ? row.user() : row.agent();
                all.add(Arguments.of(row, caller, expected));
            }
        }
        return all.stream();
    }

    @BeforeAll
    void people() throws Exception {
        run = UUID.randomUUID().toString().substring(0, 8);
        u1 = accounts.createUser("default", "u1-" + run, PASSWORD, Role.USER, Actor.SYSTEM)
                .id();
        u2 = accounts.createUser("default", "u2-" + run, PASSWORD, Role.USER, Actor.SYSTEM)
                .id();
        accounts.createUser("default", "agent-" + run, PASSWORD, Role.AGENT, Actor.SYSTEM);
        callers.put("admin session", login("admin", BootedApp.ADMIN_PASSWORD));
        callers.put("user session", login("u1-" + run, PASSWORD));
        callers.put("agent session", login("agent-" + run, PASSWORD));
        callers.put("user token", token(u1, Role.USER));
        callers.put(
                "agent token",
                keeper.tokens()
                        .issue(TokenSpec.builder()
                                .tenant("default")
                                .name("agent")
                                .role(Role.AGENT)
                                .build())
                        .secret());
        String u2TokenId = keeper.tokens()
                .issue(TokenSpec.builder().tenant("default").name("u2").user(u2).build())
                .info()
                .id();
        keeper.usage()
                .record(UsageEvent.builder()
                        .requestId("matrix-" + run)
                        .tenant("default")
                        .token(u2TokenId)
                        .user(u2)
                        .provider("anthropic")
                        .model("claude-sonnet-4-5")
                        .counts(TokenCounts.of(10, 10))
                        .build());
        keeper.flush();
        u2Trace = keeper.traces()
                .list(TraceQuery.builder("default").user(u2).build())
                .items()
                .get(0)
                .id();
    }

    String login(String username, String password) throws Exception {
        HttpResponse<String> r = send(
                "POST",
                "/api/v1/auth/login",
                null,
                json.writeValueAsString(Map.of("username", username, "password", password)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body()).path("access_token").asString();
    }

    String token(String user, Role role) {
        return keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("t")
                        .user(user)
                        .role(role)
                        .build())
                .secret();
    }

    HttpResponse<String> send(String method, String path, String bearer, String body) throws Exception {
        return exchange(method, path, bearer, body);
    }

    /** Fills the row's placeholders, making what the request changes afresh. */
    String fill(String text) throws Exception {
        if (text == null) {
            return null;
        }
        Map<String, Supplier<String>> values = new java.util.LinkedHashMap<>();
        values.put("{u1}", () -> u1);
        values.put("{u2}", () -> u2);
        values.put("{u2Trace}", () -> u2Trace);
        values.put("{u1Token}", () -> tokenId(u1));
        values.put("{u2Token}", () -> tokenId(u2));
        values.put("{u2Limit}", () -> limit(u2));
        values.put("{u1AdminLimit}", () -> limit(u1));
        values.put("{u1OwnLimit}", this::ownLimit);
        values.put(
                "{freshUser}",
                () -> accounts.createUser(
                                "default",
                                "fresh-" + UUID.randomUUID().toString().substring(0, 8),
                                PASSWORD,
                                Role.USER,
                                Actor.SYSTEM)
                        .id());
        values.put("{newName}", () -> "new-" + UUID.randomUUID().toString().substring(0, 12));
        values.put("{newTenant}", () -> "t-" + UUID.randomUUID().toString().substring(0, 12));
        String out = text;
        for (var e : values.entrySet()) {
            while (out.contains(e.getKey())) {
                out = out.replaceFirst(
                        java.util.regex.Pattern.quote(e.getKey()), e.getValue().get());
            }
        }
        return out;
    }

    private String tokenId(String user) {
        return keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("fresh")
                        .user(user)
                        .build())
                .info()
                .id();
    }

    private String limit(String user) {
        return keeper.limits()
                .create(LimitSpec.builder("default")
                        .name("set by an admin")
                        .scope(LimitScope.USER, user)
                        .amount(LimitMetric.TOKENS, 1000)
                        .build())
                .id();
    }

    /** A limit the user set on themselves through the API. */
    private String ownLimit() {
        try {
            HttpResponse<String> r = send(
                    "POST",
                    "/api/v1/limits",
                    callers.get("user session"),
                    "{\"name\":\"mine\",\"scope\":\"user\",\"metric\":\"tokens\",\"amount\":\"100\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            return json.readTree(r.body()).path("id").asString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0} as {1}: {2}")
    @MethodSource("cases")
    void matrix(Row row, String caller, int expected) throws Exception {
        String bearer = caller.equals("admin token") ? admin : callers.get(caller);
        HttpResponse<String> r = send(row.method(), fill(row.path()), bearer, fill(row.body()));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expected);
        if (expected == 403 || expected == 404) {
            assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        }
    }

    @Test
    @DisplayName("what a user sees is theirs: tokens, usage, traces and audit events")
    void usersSeeTheirOwn() throws Exception {
        String user = callers.get("user session");
        token(u1, Role.USER);
        JsonNode tokens = json.readTree(
                send("GET", "/api/v1/tokens?limit=1000", user, null).body());
        assertThat(tokens.path("items"))
                .isNotEmpty()
                .allSatisfy(t -> assertThat(t.path("user_id").asString()).isEqualTo(u1));
        JsonNode usage =
                json.readTree(send("GET", "/api/v1/usage/by-user", user, null).body());
        assertThat(usage.path("rows"))
                .allSatisfy(r -> assertThat(r.path("key").asString()).isEqualTo(u1));
        JsonNode traces = json.readTree(
                send("GET", "/api/v1/traces?limit=1000", user, null).body());
        assertThat(traces.path("items"))
                .allSatisfy(t -> assertThat(t.path("user_id").asString()).isEqualTo(u1));
        send("POST", "/api/v1/tokens", user, "{\"name\":\"audited\"}");
        keeper.flush();
        JsonNode audit = json.readTree(
                send("GET", "/api/v1/audit?limit=1000", user, null).body());
        assertThat(audit.path("items"))
                .isNotEmpty()
                .allSatisfy(e -> assertThat(e.path("actor").asString()).startsWith("user:" + u1));
        JsonNode limits =
                json.readTree(send("GET", "/api/v1/limits", user, null).body());
        assertThat(limits.path("items"))
                .allSatisfy(l -> assertThat(l.path("scope").asString()).isIn("user", "token"));
    }
}
