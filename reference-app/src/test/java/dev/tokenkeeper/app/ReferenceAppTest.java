package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.app.accounts.BootstrapAdmin;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenQuery;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.usage.UsageEvent;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/** The reference app driven over HTTP: its REST API end to end. */
class ReferenceAppTest extends BootedApp {
    @Autowired
    BootstrapAdmin bootstrap;

    @Autowired
    Accounts accounts;

    record Reply(int status, String contentType, JsonNode body, HttpResponse<String> raw) {}

    Reply call(String method, String path, String token, String body) throws Exception {
        HttpResponse<String> r = exchange(method, path, token, body);
        JsonNode node = r.body().isEmpty() ? json.nullNode() : json.readTree(r.body());
        return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), node, r);
    }

    @Test
    @DisplayName("health answers the status without authentication, and the storage's details to an admin")
    void health() throws Exception {
        Reply anonymous = call("GET", "/api/v1/health", null, null);
        assertThat(anonymous.status()).isEqualTo(200);
        assertThat(anonymous.raw().body()).isEqualTo("{\"status\":\"UP\"}"); // nothing about the storage
        Reply r = call("GET", "/api/v1/health", admin, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().path("status").asString()).isEqualTo("UP");
        assertThat(r.body().path("storage").path("status").asString()).isEqualTo("UP");
        assertThat(r.body().path("storage").path("backend").asString()).isEqualTo(backend());
        if (backend().equals("sqlite")) {
            assertThat(Files.exists(DATA.resolve("app.db"))).isTrue();
        }
    }

    @Test
    @DisplayName("the first start created the admin user and no API token; a second start creates nothing")
    void bootstrapAdminIsCreatedOnce() throws Exception {
        var admins = accounts.listUsers("default", 1000, null).items().stream()
                .filter(u -> u.username().equals("admin"))
                .toList();
        assertThat(admins).singleElement().satisfies(u -> assertThat(u.role()).isEqualTo(Role.ADMIN));
        assertThat(keeper.tokens().list(TokenQuery.builder("default").build()).items())
                .noneMatch(t -> t.name().equals("bootstrap-admin"));
        assertThat(bootstrap.bootstrap()).isEmpty();
        Reply login = call(
                "POST", "/api/v1/auth/login", null, "{\"username\":\"admin\",\"password\":\"" + ADMIN_PASSWORD + "\"}");
        assertThat(login.status()).isEqualTo(200);
    }

    @Test
    @DisplayName("the full lifecycle over HTTP: create, get, list, rotate, expiry change, revoke")
    void lifecycle() throws Exception {
        Reply created = call("POST", "/api/v1/tokens", admin, """
                {"name":"ci-bot","project_id":"search","role":"agent",
                 "allowed_models":["gpt-4o*"],"expires_in_seconds":3600,"metadata":{"team":"platform"}}""");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.raw().headers().firstValue("Cache-Control")).hasValue("no-store");
        String secret = created.body().path("token").asString();
        String id = created.body().path("token_info").path("id").asString();
        assertThat(secret).startsWith("tk_");
        assertThat(created.raw().headers().firstValue("Location")).hasValue("/api/v1/tokens/" + id);
        assertThat(created.body().path("token_info").path("role").asString()).isEqualTo("agent");
        assertThat(created.body().path("token_info").path("status").asString()).isEqualTo("active");
        assertThat(keeper.tokens().verify(secret).isVerified()).isTrue();

        Reply got = call("GET", "/api/v1/tokens/" + id, admin, null);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body().path("name").asString()).isEqualTo("ci-bot");
        assertThat(got.raw().body()).doesNotContain(secret.substring(8)).doesNotContain("hash");

        Reply list = call("GET", "/api/v1/tokens?project_id=search&limit=10", admin, null);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().path("items").size()).isGreaterThanOrEqualTo(1);
        assertThat(list.raw().body()).doesNotContain(secret.substring(8));

        Reply rotated = call("PUT", "/api/v1/tokens/" + id + "/rotate", admin, "{\"grace_period_seconds\":0}");
        assertThat(rotated.status()).isEqualTo(200);
        String newSecret = rotated.body().path("token").asString();
        assertThat(newSecret).isNotEqualTo(secret);
        assertThat(keeper.tokens().verify(secret).isVerified()).isFalse();
        assertThat(keeper.tokens().verify(newSecret).isVerified()).isTrue();

        Reply patched = call("PATCH", "/api/v1/tokens/" + id, admin, "{\"expires_at\":null}");
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.body().path("expires_at").isNull()).isTrue();

        Reply revoked = call("DELETE", "/api/v1/tokens/" + id + "?reason=leaked", admin, null);
        assertThat(revoked.status()).isEqualTo(200);
        assertThat(revoked.body().path("status").asString()).isEqualTo("revoked");
        assertThat(keeper.tokens().verify(newSecret).isVerified()).isFalse();

        Reply audit = call("GET", "/api/v1/audit?action=token.revoked", admin, null);
        assertThat(audit.status()).isEqualTo(200);
        assertThat(audit.body().path("items").get(0).path("target_id").asString())
                .isEqualTo(id);
    }

    @Test
    @DisplayName("missing, malformed and revoked credentials get 401 with WWW-Authenticate; agents get 403")
    void authentication() throws Exception {
        Reply none = call("GET", "/api/v1/tokens", null, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.contentType()).startsWith("application/problem+json");
        assertThat(none.body().path("code").asString()).isEqualTo("missing_token");
        assertThat(none.raw().headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"tokenkeeper\"");

        Reply bad = call("GET", "/api/v1/tokens", "tk_nope", null);
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.body().path("code").asString()).isEqualTo("token_invalid");
        assertThat(bad.raw().headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"invalid_token\"");

        IssuedToken user = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("u")
                        .role(Role.AGENT)
                        .build());
        Reply forbidden = call("GET", "/api/v1/tokens", user.secret(), null);
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.body().path("code").asString()).isEqualTo("forbidden");

        keeper.tokens().revoke("default", user.info().id());
        Reply revoked = call("GET", "/api/v1/tokens", user.secret(), null);
        assertThat(revoked.status()).isEqualTo(401);
        assertThat(revoked.body().path("code").asString()).isEqualTo("token_revoked");
    }

    @Test
    @DisplayName("bad input gets problem+json with a stable code and no stack trace")
    void badInput() throws Exception {
        Reply blank = call("POST", "/api/v1/tokens", admin, "{\"name\":\"  \"}");
        assertThat(blank.status()).isEqualTo(400);
        assertThat(blank.contentType()).startsWith("application/problem+json");
        assertThat(blank.body().path("code").asString()).isEqualTo("validation_failed");
        assertThat(blank.body().path("detail").asString()).contains("name");

        Reply past = call("POST", "/api/v1/tokens", admin, "{\"name\":\"x\",\"expires_at\":\"2001-01-01T00:00:00Z\"}");
        assertThat(past.status()).isEqualTo(400);
        assertThat(past.body().path("detail").asString()).contains("expiresAt");

        Reply unknownField = call("POST", "/api/v1/tokens", admin, "{\"name\":\"x\",\"expires_in\":5}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.body().path("code").asString()).isEqualTo("malformed_request");

        Reply notJson = call("POST", "/api/v1/tokens", admin, "{name:");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.raw().body()).doesNotContain("Exception").doesNotContain("at dev.");

        Reply missing = call("GET", "/api/v1/tokens/does-not-exist", admin, null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().path("code").asString()).isEqualTo("token_not_found");

        Reply badStatus = call("GET", "/api/v1/tokens?status=zombie", admin, null);
        assertThat(badStatus.status()).isEqualTo(400);

        Reply badCursor = call("GET", "/api/v1/tokens?cursor=@@@", admin, null);
        assertThat(badCursor.status()).isEqualTo(400);
        assertThat(badCursor.body().path("code").asString()).isEqualTo("validation_failed");

        IssuedToken t = keeper.tokens()
                .issue(TokenSpec.builder().tenant("default").name("r").build());
        keeper.tokens().revoke("default", t.info().id());
        Reply conflict = call("PUT", "/api/v1/tokens/" + t.info().id() + "/rotate", admin, null);
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.body().path("code").asString()).isEqualTo("token_revoked");
    }

    @Test
    @DisplayName("an admin sees only its own tenant's tokens")
    void tenantScoping() throws Exception {
        keeper.tenants().ensure("other", "Other");
        IssuedToken foreign = keeper.tokens()
                .issue(TokenSpec.builder().tenant("other").name("theirs").build());
        Reply r = call("GET", "/api/v1/tokens/" + foreign.info().id(), admin, null);
        assertThat(r.status()).isEqualTo(404);
        Reply del = call("DELETE", "/api/v1/tokens/" + foreign.info().id(), admin, null);
        assertThat(del.status()).isEqualTo(404);
        assertThat(keeper.tokens().verify(foreign.secret()).isVerified()).isTrue();
    }

    @Test
    @DisplayName("refused authorizations (403, and 404 for another tenant's object) are audited, aggregated,"
            + " with caller, target and user agent; a plain 404 is not")
    void refusedAuthorizationsAreAudited() throws Exception {
        String probe = "probe-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        keeper.tenants().ensure(probe, "Probe");
        IssuedToken probeAdmin = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant(probe)
                        .name("a")
                        .role(Role.ADMIN)
                        .build());
        IssuedToken probeUser = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant(probe)
                        .name("u")
                        .role(Role.AGENT)
                        .build());
        IssuedToken victim = keeper.tokens()
                .issue(TokenSpec.builder().tenant("default").name("victim").build());
        String victimLimit =
                call("POST", "/api/v1/limits", admin, """
                {"name":"victim cap","scope":"tenant","metric":"tokens","period":"day","amount":"1000"}""").body().path("id").asString();
        String longAgent = "scanner/1 " + "x".repeat(400);

        for (int i = 0; i < 40; i++) {
            assertThat(callAs("GET", "/api/v1/tokens", probeUser.secret(), longAgent))
                    .isEqualTo(403);
        }
        assertThat(callAs("GET", "/api/v1/tokens/" + victim.info().id(), probeAdmin.secret(), "curl/8"))
                .isEqualTo(404);
        assertThat(callAs("DELETE", "/api/v1/limits/" + victimLimit, probeAdmin.secret(), "curl/8"))
                .isEqualTo(404);
        assertThat(callAs(
                        "DELETE",
                        "/api/v1/prices/openai/gpt-4o?effective_from=2026-01-01T00:00:00Z",
                        probeAdmin.secret(),
                        "curl/8"))
                .isEqualTo(403);
        assertThat(callAs("GET", "/api/v1/tokens/no-such-token", probeAdmin.secret(), "curl/8"))
                .isEqualTo(404);
        assertThat(keeper.tokens().verify(victim.secret()).isVerified()).isTrue();
        assertThat(keeper.limits().find("default", victimLimit)).isPresent();
        keeper.flush();

        Reply audit = call("GET", "/api/v1/audit?action=access.denied&limit=100", probeAdmin.secret(), null);
        assertThat(audit.status()).isEqualTo(200);
        java.util.List<JsonNode> events = new java.util.ArrayList<>();
        audit.body().path("items").forEach(events::add);
        assertThat(events).hasSize(4).allSatisfy(e -> {
            assertThat(e.path("outcome").asString()).isEqualTo("failure");
            assertThat(e.path("source").asString()).isNotEmpty();
        });
        JsonNode role = only(events, "agent");
        assertThat(role.path("actor").asString())
                .isEqualTo("token:" + probeUser.info().id());
        assertThat(role.path("target_type").asString()).isEqualTo("endpoint");
        assertThat(role.path("target_id").asString()).isEqualTo("GET /api/v1/tokens");
        assertThat(role.path("metadata").path("count").asString()).isEqualTo("40");
        assertThat(role.path("metadata").path("status").asString()).isEqualTo("403");
        assertThat(role.path("metadata").path("user_agent").asString())
                .hasSize(256)
                .startsWith("scanner/1 ");
        assertThat(only(events, "operator_only").path("target_id").asString())
                .isEqualTo("DELETE /api/v1/prices/{provider}/{model}");
        assertThat(events)
                .filteredOn(e -> e.path("metadata").path("reason").asString().equals("other_tenant"))
                .extracting(e -> e.path("target_type").asString() + " "
                        + e.path("target_id").asString()
                        + " " + e.path("metadata").path("status").asString() + " "
                        + e.path("actor").asString()
                        + " " + e.path("metadata").path("user_agent").asString())
                .containsExactlyInAnyOrder(
                        "token " + victim.info().id() + " 404 token:"
                                + probeAdmin.info().id() + " curl/8",
                        "limit " + victimLimit + " 404 token:"
                                + probeAdmin.info().id() + " curl/8");
        // nothing of it lands in the probed tenant's log, and the answers told the caller nothing
        assertThat(call("GET", "/api/v1/audit?action=access.denied&limit=100", admin, null)
                        .raw()
                        .body())
                .doesNotContain(probeAdmin.info().id())
                .doesNotContain(probeUser.info().id());
    }

    private static JsonNode only(java.util.List<JsonNode> events, String reason) {
        return events.stream()
                .filter(e -> e.path("metadata").path("reason").asString().equals(reason))
                .reduce((a, b) -> {
                    throw new AssertionError("two events with reason " + reason);
                })
                .orElseThrow(() -> new AssertionError("no event with reason " + reason + " in " + events));
    }

    private int callAs(String method, String path, String token, String userAgent) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + token)
                .header("User-Agent", userAgent)
                .build();
        return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    @DisplayName("usage analytics over HTTP: totals and series, breakdowns, a token's usage, bad parameters")
    void usageAnalytics() throws Exception {
        IssuedToken agent = keeper.tokens()
                .issue(TokenSpec.builder().tenant("default").name("agent").build());
        Instant at = Instant.parse("2026-06-01T10:00:00Z");
        keeper.usage()
                .record(UsageEvent.builder()
                        .requestId("u-1")
                        .tenant("default")
                        .token(agent.info().id())
                        .project("search")
                        .provider("anthropic")
                        .model("claude-sonnet-4-5")
                        .counts(new TokenCounts(1200, 8000, 0, 350, 0))
                        .at(at)
                        .build());
        keeper.usage()
                .record(UsageEvent.builder()
                        .requestId("u-2")
                        .tenant("default")
                        .project("chat")
                        .provider("anthropic")
                        .model("claude-haiku-4-5")
                        .counts(TokenCounts.of(1000, 100))
                        .at(at.plusSeconds(7200))
                        .build());
        keeper.usage().flush();
        String range = "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";

        Reply usage = call("GET", "/api/v1/usage?" + range + "&granularity=hour", admin, null);
        assertThat(usage.status()).isEqualTo(200);
        assertThat(usage.body().path("totals").path("requests").asLong()).isEqualTo(2);
        // 0.01125 (the sonnet call of the pricing docs) + 1,000 x $1 + 100 x $5 per million (0.0015)
        assertThat(usage.body().path("totals").path("cost_usd").asString()).isEqualTo("0.01275");
        assertThat(usage.body().path("series").path("points").size()).isEqualTo(24);

        Reply byProject = call("GET", "/api/v1/usage/by-project?" + range, admin, null);
        assertThat(byProject.status()).isEqualTo(200);
        assertThat(byProject.body().path("rows").get(0).path("key").asString()).isEqualTo("search");

        Reply byModel = call("GET", "/api/v1/usage/by-model?" + range + "&limit=1", admin, null);
        assertThat(byModel.body().path("rows").size()).isEqualTo(1);
        assertThat(byModel.body().path("rows").get(0).path("key").asString()).isEqualTo("claude-sonnet-4-5");
        Reply byBogus = call("GET", "/api/v1/usage/by-colour?" + range, admin, null);
        assertThat(byBogus.status()).isEqualTo(400);
        assertThat(byBogus.body().path("code").asString()).isEqualTo("validation_failed");

        // by how the calls ended: both succeeded
        assertThat(call("GET", "/api/v1/usage?" + range + "&status=success", admin, null)
                        .body()
                        .path("totals")
                        .path("requests")
                        .asLong())
                .isEqualTo(2);
        assertThat(call("GET", "/api/v1/usage?" + range + "&status=error", admin, null)
                        .body()
                        .path("totals")
                        .path("requests")
                        .asLong())
                .isZero();
        assertThat(call("GET", "/api/v1/usage/by-project?" + range + "&status=error", admin, null)
                        .body()
                        .path("rows"))
                .isEmpty();
        Reply badStatus = call("GET", "/api/v1/usage?" + range + "&status=failed", admin, null);
        assertThat(badStatus.status()).isEqualTo(400);
        assertThat(badStatus.body().path("code").asString()).isEqualTo("validation_failed");

        Reply token = call("GET", "/api/v1/usage/" + agent.info().id() + "?" + range, admin, null);
        assertThat(token.status()).isEqualTo(200);
        assertThat(token.body().path("totals").path("requests").asLong()).isEqualTo(1);
        assertThat(call("GET", "/api/v1/usage/no-such-token?" + range, admin, null)
                        .status())
                .isEqualTo(404);

        Reply badZone = call("GET", "/api/v1/usage?" + range + "&zone=Mars/Olympus", admin, null);
        assertThat(badZone.status()).isEqualTo(400);
        assertThat(badZone.body().path("code").asString()).isEqualTo("validation_failed");
        assertThat(call("GET", "/api/v1/usage?from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z", admin, null)
                        .status())
                .isEqualTo(400);
    }

    @Test
    @DisplayName("traces over HTTP: list with filters, one by id, CSV export")
    void traces() throws Exception {
        Instant at = Instant.parse("2026-07-01T10:00:00Z");
        keeper.usage()
                .record(UsageEvent.builder()
                        .requestId("tr-1")
                        .tenant("default")
                        .provider("anthropic")
                        .model("claude-haiku-4-5")
                        .counts(TokenCounts.of(100, 10))
                        .at(at)
                        .build());
        keeper.usage()
                .record(UsageEvent.builder()
                        .requestId("tr-2")
                        .tenant("default")
                        .provider("anthropic")
                        .model("claude-haiku-4-5")
                        .counts(TokenCounts.of(100, 10))
                        .outcome(dev.tokenkeeper.usage.CallOutcome.ERROR)
                        .errorMessage("boom, \"quoted\"")
                        .at(at.plusSeconds(1))
                        .build());
        keeper.usage().flush();
        String range = "from=2026-07-01T00:00:00Z&to=2026-07-02T00:00:00Z";
        Reply list = call("GET", "/api/v1/traces?" + range + "&status=error", admin, null);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().path("items").size()).isEqualTo(1);
        String id = list.body().path("items").get(0).path("id").asString();
        assertThat(list.body().path("items").get(0).path("cost_usd").asString()).isEqualTo("0.00015");

        Reply one = call("GET", "/api/v1/traces/" + id, admin, null);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body().path("error_message").asString()).isEqualTo("boom, \"quoted\"");
        Reply missing = call("GET", "/api/v1/traces/nope", admin, null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().path("code").asString()).isEqualTo("trace_not_found");

        HttpResponse<String> csv = http.send(
                HttpRequest.newBuilder(URI.create(base() + "/api/v1/traces/export.csv?" + range))
                        .header("Authorization", "Bearer " + admin)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/csv");
        assertThat(csv.body().split("\r\n")).hasSize(3);
        assertThat(csv.body()).contains("\"boom, \"\"quoted\"\"\"");
        assertThat(call("GET", "/api/v1/traces?status=bogus", admin, null).status())
                .isEqualTo(400);
    }

    @Test
    @DisplayName("prices: listed for any admin, set and removed by the operator's admins only, audited")
    void prices() throws Exception {
        Reply list = call("GET", "/api/v1/prices?provider=openai&model=gpt-4o", admin, null);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().path("items").get(0).path("input").asString()).isEqualTo("2.5");
        assertThat(list.body().path("items").get(0).path("runtime").asBoolean()).isFalse();

        Reply put = call("PUT", "/api/v1/prices", admin, """
                {"provider":"acme","model":"acme-large","effective_from":"2026-12-01T00:00:00Z",
                 "input":"2","cached_input":"0.2","cache_write":"2","output":"8",
                 "source":"contract 2026-117","checked_on":"2026-11-22"}""");
        assertThat(put.status()).isEqualTo(200);
        assertThat(put.body().path("runtime").asBoolean()).isTrue();
        assertThat(keeper.pricing()
                        .cost("acme", "acme-large", TokenCounts.of(1_000_000, 0), Instant.parse("2026-12-02T00:00:00Z"))
                        .total()
                        .amount())
                .isEqualByComparingTo("2");
        Reply listed = call("GET", "/api/v1/prices?provider=acme", admin, null);
        assertThat(listed.body().path("items").get(0).path("runtime").asBoolean())
                .isTrue();

        Reply audit = call("GET", "/api/v1/audit?scope=system&action=price.set", admin, null);
        assertThat(audit.status()).isEqualTo(200);
        assertThat(audit.body().path("items").get(0).path("target_id").asString())
                .isEqualTo("acme/acme-large@2026-12-01T00:00:00Z");

        Reply bad = call("PUT", "/api/v1/prices", admin, """
                {"provider":"acme","model":"acme-small","input":"-1","cached_input":"0","cache_write":"0",
                 "output":"1","source":"x"}""");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.contentType()).startsWith("application/problem+json");
        assertThat(call("PUT", "/api/v1/prices", admin, "{\"provider\":\"acme\"}")
                        .status())
                .isEqualTo(400);

        // an admin of another tenant may read prices but not change them
        keeper.tenants().ensure("other", "Other");
        String otherAdmin = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("other")
                        .name("other-admin")
                        .role(Role.ADMIN)
                        .build())
                .secret();
        assertThat(call("GET", "/api/v1/prices", otherAdmin, null).status()).isEqualTo(200);
        assertThat(call(
                                "DELETE",
                                "/api/v1/prices/acme/acme-large?effective_from=2026-12-01T00:00:00Z",
                                otherAdmin,
                                null)
                        .status())
                .isEqualTo(403);
        assertThat(call("GET", "/api/v1/audit?scope=system", otherAdmin, null).status())
                .isEqualTo(403);

        assertThat(call("DELETE", "/api/v1/prices/acme/acme-large?effective_from=2026-12-01T00:00:00Z", admin, null)
                        .status())
                .isEqualTo(204);
        Reply gone = call("DELETE", "/api/v1/prices/acme/acme-large?effective_from=2026-12-01T00:00:00Z", admin, null);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.body().path("code").asString()).isEqualTo("price_not_found");
    }

    @Test
    @DisplayName("limits over HTTP: create, list, get, change, delete, with problems for bad input")
    void limits() throws Exception {
        Reply created = call("POST", "/api/v1/limits", admin, """
                {"name":"search monthly","scope":"project","scope_id":"search","metric":"cost_usd",
                 "amount":"200","grace":"10.5","period":"month","zone":"Europe/Paris","alert_thresholds":[80,50]}""");
        assertThat(created.status()).isEqualTo(201);
        String id = created.body().path("id").asString();
        assertThat(created.raw().headers().firstValue("Location")).hasValue("/api/v1/limits/" + id);
        assertThat(created.body().path("amount").asString()).isEqualTo("200");
        assertThat(created.body().path("grace").asString()).isEqualTo("10.5");
        assertThat(created.body().path("alert_thresholds").toString()).isEqualTo("[50,80]");
        assertThat(call("GET", "/api/v1/limits/" + id, admin, null)
                        .body()
                        .path("zone")
                        .asString())
                .isEqualTo("Europe/Paris");
        assertThat(call("GET", "/api/v1/limits?scope=project&scope_id=search", admin, null)
                        .body()
                        .path("items")
                        .size())
                .isEqualTo(1);

        Reply usage = call("GET", "/api/v1/limits/" + id + "/usage", admin, null);
        assertThat(usage.status()).isEqualTo(200);
        assertThat(usage.body().path("used").asString()).isEqualTo("0");
        assertThat(usage.body().path("remaining").asString()).isEqualTo("200");

        Reply changed = call("PATCH", "/api/v1/limits/" + id, admin, "{\"amount\":\"150.25\"}");
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.body().path("amount").asString()).isEqualTo("150.25");
        assertThat(changed.body().path("grace").asString()).isEqualTo("10.5");

        Reply badMetric =
                call("POST", "/api/v1/limits", admin, "{\"name\":\"x\",\"metric\":\"bananas\",\"amount\":\"1\"}");
        assertThat(badMetric.status()).isEqualTo(400);
        assertThat(badMetric.contentType()).startsWith("application/problem+json");
        assertThat(badMetric.body().path("detail").asString()).contains("metric");
        assertThat(call("POST", "/api/v1/limits", admin, "{\"name\":\"x\",\"metric\":\"tokens\",\"amount\":\"0\"}")
                        .status())
                .isEqualTo(400);
        assertThat(call(
                                "POST",
                                "/api/v1/limits",
                                admin,
                                "{\"name\":\"x\",\"metric\":\"tokens\",\"amount\":\"5\",\"zone\":\"Mars/Olympus\"}")
                        .status())
                .isEqualTo(400);

        assertThat(call("DELETE", "/api/v1/limits/" + id, admin, null).status()).isEqualTo(204);
        Reply gone = call("GET", "/api/v1/limits/" + id, admin, null);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.body().path("code").asString()).isEqualTo("limit_not_found");
        assertThat(call("GET", "/api/v1/audit?action=limit.updated", admin, null)
                        .body()
                        .path("items")
                        .get(0)
                        .path("metadata")
                        .path("previous_amount")
                        .asString())
                .isEqualTo("200");
    }
}
