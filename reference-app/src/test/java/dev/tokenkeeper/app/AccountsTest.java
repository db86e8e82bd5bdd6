package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.app.accounts.AppDatabase;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * People and sessions over HTTP, on a clock the test moves: login, refresh rotation and reuse
 * detection, logout, password changes, the brute-force limit, the refused JWT variants, disabled
 * users, mass assignment, tenants with their first admin, and no secret in the log.
 */
@Import(HandClock.Config.class)
@TestPropertySource(properties = "tk.test.db-file=accounts.db") // its own clock, so its own database
@ExtendWith(OutputCaptureExtension.class)
@DisplayName("accounts: login, sessions, users and tenants over HTTP")
class AccountsTest extends BootedApp {
    private static final AtomicInteger SEQ = new AtomicInteger();

    @Autowired
    HandClock clock;

    @Autowired
    AppDatabase db;

    @Autowired
    dev.tokenkeeper.app.config.AppProperties props;

    @Autowired
    dev.tokenkeeper.app.accounts.AccountStore store;

    /** The parts of an answer the tests read. */
    interface Raw {
        String body();

        java.net.http.HttpHeaders headers();
    }

    record Reply(int status, JsonNode body, Raw raw) {
        String code() {
            return body.path("code").asString();
        }
    }

    record ClientReply(HttpResponse<String> response) implements Raw {
        @Override
        public String body() {
            return response.body();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return response.headers();
        }
    }

    record RawReply(int status, String body, Map<String, List<String>> headerMap) implements Raw {
        @Override
        public java.net.http.HttpHeaders headers() {
            return java.net.http.HttpHeaders.of(headerMap, (a, b) -> true);
        }
    }

    @BeforeEach
    void freshLoginWindow() {
        // every test starts in a new login window: the failures of the previous ones are forgotten
        clock.advance(Duration.ofMinutes(2));
    }

    Reply call(String method, String path, String bearer, Object body) throws Exception {
        String text = body == null ? null : body instanceof String str ? str : json.writeValueAsString(body);
        HttpResponse<String> r = exchange(method, path, bearer, text);
        return new Reply(
                r.statusCode(), r.body().isEmpty() ? json.nullNode() : json.readTree(r.body()), new ClientReply(r));
    }

    Reply login(String username, String password) throws Exception {
        return call("POST", "/api/v1/auth/login", null, Map.of("username", username, "password", password));
    }

    String adminAccess() throws Exception {
        Reply r = login("admin", ADMIN_PASSWORD);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return r.body().path("access_token").asString();
    }

    /** A new user of the default tenant; returns {id, username, password}. */
    String[] newUser(String role) throws Exception {
        String name = "person" + SEQ.incrementAndGet() + "-" + backend();
        String password = "long-enough-passphrase-" + SEQ.get();
        Reply r = call(
                "POST", "/api/v1/users", adminAccess(), Map.of("username", name, "password", password, "role", role));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
        return new String[] {r.body().path("id").asString(), name, password};
    }

    @Test
    @DisplayName("the app runs on its own database file here")
    void ownDatabaseFile() {
        if (backend().equals("sqlite")) {
            assertThat(Files.exists(DATA.resolve("accounts.db"))).isTrue();
        }
    }

    @Test
    @DisplayName("login answers an access and a refresh token; refresh rotates; a spent refresh token ends the session")
    void loginRefreshAndReuse() throws Exception {
        String[] u = newUser("user");
        Reply login = login(u[1], u[2]);
        assertThat(login.status()).isEqualTo(200);
        assertThat(login.raw().headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(login.body().path("token_type").asString()).isEqualTo("Bearer");
        assertThat(login.body().path("expires_in").asLong()).isEqualTo(3600);
        String access = login.body().path("access_token").asString();
        String refresh = login.body().path("refresh_token").asString();
        assertThat(refresh).startsWith("tkr_");

        Reply me = call("GET", "/api/v1/auth/me", access, null);
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.body().path("username").asString()).isEqualTo(u[1]);
        assertThat(me.body().path("user_id").asString()).isEqualTo(u[0]);
        assertThat(me.body().path("role").asString()).isEqualTo("user");
        assertThat(me.body().path("authenticated_by").asString()).isEqualTo("session");

        Reply refreshed = call("POST", "/api/v1/auth/refresh", null, Map.of("refresh_token", refresh));
        assertThat(refreshed.status()).isEqualTo(200);
        String access2 = refreshed.body().path("access_token").asString();
        String refresh2 = refreshed.body().path("refresh_token").asString();
        assertThat(refresh2).isNotEqualTo(refresh);
        assertThat(call("GET", "/api/v1/auth/me", access2, null).status()).isEqualTo(200);

        // the spent one again: refused, and the whole session ends
        Reply reuse = call("POST", "/api/v1/auth/refresh", null, Map.of("refresh_token", refresh));
        assertThat(reuse.status()).isEqualTo(401);
        assertThat(reuse.code()).isEqualTo("invalid_refresh_token");
        assertThat(call("GET", "/api/v1/auth/me", access2, null).status()).isEqualTo(401);
        assertThat(call("GET", "/api/v1/auth/me", access, null).status()).isEqualTo(401);
        assertThat(call("POST", "/api/v1/auth/refresh", null, Map.of("refresh_token", refresh2))
                        .status())
                .isEqualTo(401);

        keeper.flush();
        Reply audit = call("GET", "/api/v1/audit?action=auth.refresh_reused", adminAccess(), null);
        assertThat(audit.body().path("items"))
                .anySatisfy(e -> assertThat(e.path("actor").asString()).isEqualTo("user:" + u[0]));
    }

    @Test
    @DisplayName("two refreshes with one token at once: one wins, the other is reuse, and the session ends for both")
    void concurrentRefresh() throws Exception {
        String[] u = newUser("user");
        String refresh = login(u[1], u[2]).body().path("refresh_token").asString();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Reply> attempt = () -> {
                start.await();
                return call("POST", "/api/v1/auth/refresh", null, Map.of("refresh_token", refresh));
            };
            Future<Reply> a = pool.submit(attempt);
            Future<Reply> b = pool.submit(attempt);
            start.countDown();
            List<Reply> replies = List.of(a.get(), b.get());
            assertThat(replies).extracting(Reply::status).containsExactlyInAnyOrder(200, 401);
            Reply winner =
                    replies.stream().filter(r -> r.status() == 200).findFirst().orElseThrow();
            assertThat(call(
                                    "GET",
                                    "/api/v1/auth/me",
                                    winner.body().path("access_token").asString(),
                                    null)
                            .status())
                    .isEqualTo(401);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("logout ends the session: its access and refresh tokens stop working at once")
    void logout() throws Exception {
        String[] u = newUser("user");
        Reply login = login(u[1], u[2]);
        String access = login.body().path("access_token").asString();
        assertThat(call("POST", "/api/v1/auth/logout", access, null).status()).isEqualTo(204);
        Reply after = call("GET", "/api/v1/auth/me", access, null);
        assertThat(after.status()).isEqualTo(401);
        assertThat(after.code()).isEqualTo("invalid_token");
        assertThat(after.raw().headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"invalid_token\"");
        assertThat(call(
                                "POST",
                                "/api/v1/auth/refresh",
                                null,
                                Map.of(
                                        "refresh_token",
                                        login.body().path("refresh_token").asString()))
                        .status())
                .isEqualTo(401);
    }

    @Test
    @DisplayName("an access token expires after an hour and a session after seven days, by the keeper's clock")
    void expiry() throws Exception {
        String[] u = newUser("user");
        Reply login = login(u[1], u[2]);
        String access = login.body().path("access_token").asString();
        clock.advance(Duration.ofMinutes(59));
        assertThat(call("GET", "/api/v1/auth/me", access, null).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(2));
        assertThat(call("GET", "/api/v1/auth/me", access, null).status()).isEqualTo(401);
        // the refresh token still works within the session's lifetime
        Reply refreshed = call(
                "POST",
                "/api/v1/auth/refresh",
                null,
                Map.of("refresh_token", login.body().path("refresh_token").asString()));
        assertThat(refreshed.status()).isEqualTo(200);
        clock.advance(Duration.ofDays(7));
        assertThat(call(
                                "POST",
                                "/api/v1/auth/refresh",
                                null,
                                Map.of(
                                        "refresh_token",
                                        refreshed.body().path("refresh_token").asString()))
                        .status())
                .isEqualTo(401);
    }

    @Test
    @DisplayName("a password change needs the current password and ends every other session of the user")
    void passwordChange() throws Exception {
        String[] u = newUser("user");
        String a = login(u[1], u[2]).body().path("access_token").asString();
        String b = login(u[1], u[2]).body().path("access_token").asString();
        Reply wrong = call(
                "PUT",
                "/api/v1/auth/password",
                a,
                Map.of("current_password", "not-it-at-all", "new_password", "another-long-passphrase"));
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.code()).isEqualTo("wrong_password");
        Reply weak = call(
                "PUT", "/api/v1/auth/password", a, Map.of("current_password", u[2], "new_password", "Password123!"));
        assertThat(weak.status()).isEqualTo(400);
        assertThat(weak.code()).isEqualTo("weak_password");
        assertThat(weak.raw().body()).doesNotContain("Password123!");
        Reply ok = call(
                "PUT",
                "/api/v1/auth/password",
                a,
                Map.of("current_password", u[2], "new_password", "another-long-passphrase"));
        assertThat(ok.status()).isEqualTo(204);
        assertThat(call("GET", "/api/v1/auth/me", a, null).status()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/auth/me", b, null).status()).isEqualTo(401);
        assertThat(login(u[1], u[2]).status()).isEqualTo(401);
        assertThat(login(u[1], "another-long-passphrase").status()).isEqualTo(200);
        // API tokens have no password to change
        Reply viaToken =
                call("PUT", "/api/v1/auth/password", admin, Map.of("current_password", "x", "new_password", "y"));
        assertThat(viaToken.status()).isEqualTo(403);
    }

    @Test
    @DisplayName("an unknown user and a wrong password get the same status and the same body")
    void noUserEnumeration() throws Exception {
        String[] u = newUser("user");
        Reply wrong = loginFrom("127.0.0.41", u[1], "wrong-password-1");
        Reply unknown = loginFrom("127.0.0.42", "nobody-" + SEQ.incrementAndGet(), "wrong-password-1");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.code()).isEqualTo("invalid_credentials");
        assertThat(unknown.raw().body()).isEqualTo(wrong.raw().body());
        assertThat(unknown.status()).isEqualTo(wrong.status());
    }

    @Test
    @DisplayName("ten failed logins a minute per account, from any address: then 429 with Retry-After, even with"
            + " the right password, and never for longer than the window")
    void bruteForceByAccount() throws Exception {
        String[] u = newUser("user");
        for (int i = 1; i <= 10; i++) {
            clock.advance(Duration.ofSeconds(1));
            assertThat(loginFrom("127.0.0." + (10 + i), u[1], "wrong-password-" + i)
                            .status())
                    .isEqualTo(401);
        }
        Reply limited = loginFrom("127.0.0.21", u[1], u[2]);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.code()).isEqualTo("too_many_login_attempts");
        long retry =
                Long.parseLong(limited.raw().headers().firstValue("Retry-After").orElseThrow());
        assertThat(retry).isBetween(1L, 60L);
        // an unknown name is limited the same way
        String unknown = "nobody-" + SEQ.incrementAndGet();
        for (int i = 1; i <= 10; i++) {
            assertThat(loginFrom("127.0.0." + (50 + i), unknown, "x").status()).isEqualTo(401);
        }
        assertThat(loginFrom("127.0.0.61", unknown, "x").status()).isEqualTo(429);
        clock.advance(Duration.ofSeconds(retry));
        assertThat(loginFrom("127.0.0.21", u[1], u[2]).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("ten failed logins a minute per source address, across accounts; other addresses are not affected")
    void bruteForceByAddress() throws Exception {
        for (int i = 0; i < 10; i++) {
            assertThat(loginFrom("127.0.0.30", "spray-" + SEQ.incrementAndGet(), "wrong-password")
                            .status())
                    .isEqualTo(401);
        }
        assertThat(loginFrom("127.0.0.30", "admin", ADMIN_PASSWORD).status()).isEqualTo(429);
        assertThat(loginFrom("127.0.0.31", "admin", ADMIN_PASSWORD).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(1));
        assertThat(loginFrom("127.0.0.30", "admin", ADMIN_PASSWORD).status()).isEqualTo(200);
    }

    /** A login sent from a loopback address of the test's choice (the whole of 127/8 is loopback). */
    Reply loginFrom(String localAddress, String username, String password) throws Exception {
        byte[] body = json.writeValueAsBytes(Map.of("username", username, "password", password));
        int port = Integer.parseInt(base().substring(base().lastIndexOf(':') + 1));
        try (java.net.Socket socket = new java.net.Socket(
                java.net.InetAddress.getLoopbackAddress(), port, java.net.InetAddress.getByName(localAddress), 0)) {
            socket.setSoTimeout(30_000);
            String head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(answer.substring(9, 12));
            int split = answer.indexOf("\r\n\r\n");
            Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String line : answer.substring(0, split).split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.computeIfAbsent(line.substring(0, colon).trim(), k -> new java.util.ArrayList<>())
                            .add(line.substring(colon + 1).trim());
                }
            }
            String text = answer.substring(split + 4);
            if (headers.getOrDefault("Transfer-Encoding", List.of()).contains("chunked")) {
                text = unchunk(text);
            }
            return new Reply(
                    status,
                    text.isEmpty() ? json.nullNode() : json.readTree(text),
                    new RawReply(status, text, headers));
        }
    }

    private static String unchunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, eol).trim(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(chunked, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    @Test
    @DisplayName("refused JWTs: alg none in any casing, another algorithm, a changed byte, wrong iss, aud or typ,"
            + " a foreign key; and refresh and access tokens never pass for each other")
    void refusedJwts() throws Exception {
        String[] u = newUser("user");
        Reply login = login(u[1], u[2]);
        String access = login.body().path("access_token").asString();
        String refresh = login.body().path("refresh_token").asString();
        assertThat(call("GET", "/api/v1/auth/me", access, null).status()).isEqualTo(200);
        String[] parts = access.split("\\.");
        Map<String, Object> claims =
                json.readValue(b64d(parts[1]), new tools.jackson.core.type.TypeReference<Map<String, Object>>() {});
        String stored = db.jdbi()
                .withHandle(h -> h.createQuery("SELECT value FROM app_settings WHERE name = 'auth.jwt.hmac-key'")
                        .mapTo(String.class)
                        .one());
        byte[] key = Base64.getDecoder().decode(stored);

        // the genuine key signs a valid token: the helper is right
        assertThat(call("GET", "/api/v1/auth/me", sign(header("HS256", "at+jwt"), claims, "HmacSHA256", key), null)
                        .status())
                .isEqualTo(200);

        Map<String, String> refused = new LinkedHashMap<>();
        for (String none : List.of("none", "None", "NONE", "nOnE")) {
            refused.put("alg " + none, b64(header(none, "at+jwt")) + "." + parts[1] + ".");
        }
        refused.put("HS512 with the same key", sign(header("HS512", "at+jwt"), claims, "HmacSHA512", key));
        refused.put("HS384 with the same key", sign(header("HS384", "at+jwt"), claims, "HmacSHA384", key));
        refused.put("RS256 header, HMAC signature", sign(header("RS256", "at+jwt"), claims, "HmacSHA256", key));
        Map<String, Object> admin = new LinkedHashMap<>(claims);
        admin.put("role", "admin");
        refused.put("changed payload", parts[0] + "." + b64(json.writeValueAsString(admin)) + "." + parts[2]);
        refused.put("changed signature", parts[0] + "." + parts[1] + "." + flip(parts[2]));
        Map<String, Object> iss = new LinkedHashMap<>(claims);
        iss.put("iss", "someone-else");
        refused.put("wrong iss", sign(header("HS256", "at+jwt"), iss, "HmacSHA256", key));
        Map<String, Object> aud = new LinkedHashMap<>(claims);
        aud.put("aud", "another-api");
        refused.put("wrong aud", sign(header("HS256", "at+jwt"), aud, "HmacSHA256", key));
        refused.put("typ JWT", sign(header("HS256", "JWT"), claims, "HmacSHA256", key));
        refused.put("no typ", sign(Map.of("alg", "HS256"), claims, "HmacSHA256", key));
        byte[] other = new byte[64];
        new java.security.SecureRandom().nextBytes(other);
        Map<String, Object> jku = new LinkedHashMap<>(header("HS256", "at+jwt"));
        jku.put("jku", "https://attacker.example/keys.json");
        jku.put("kid", "attacker");
        refused.put("foreign key named by jku and kid", sign(jku, claims, "HmacSHA256", other));
        Map<String, Object> expired = new LinkedHashMap<>(claims);
        expired.put("exp", clock.instant().getEpochSecond() - 1);
        refused.put("expired", sign(header("HS256", "at+jwt"), expired, "HmacSHA256", key));
        refused.put("refresh token as access token", refresh);
        for (var e : refused.entrySet()) {
            Reply r = call("GET", "/api/v1/auth/me", e.getValue(), null);
            assertThat(r.status()).as(e.getKey()).isEqualTo(401);
            assertThat(r.raw().body()).as(e.getKey()).doesNotContain("Exception");
        }
        Reply accessAsRefresh = call("POST", "/api/v1/auth/refresh", null, Map.of("refresh_token", access));
        assertThat(accessAsRefresh.status()).isEqualTo(401);
        assertThat(accessAsRefresh.code()).isEqualTo("invalid_refresh_token");
        // none of it hurt the genuine session
        assertThat(call("GET", "/api/v1/auth/me", access, null).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("disabling a user ends their sessions at once and refuses their logins and API tokens")
    void disabledUser() throws Exception {
        String[] u = newUser("user");
        String access = login(u[1], u[2]).body().path("access_token").asString();
        Reply token = call("POST", "/api/v1/tokens", access, Map.of("name", "mine"));
        assertThat(token.status()).isEqualTo(201);
        String apiToken = token.body().path("token").asString();
        assertThat(call("GET", "/api/v1/tokens", apiToken, null).status()).isEqualTo(200);

        String adminAccess = adminAccess();
        Reply disabled = call("PATCH", "/api/v1/users/" + u[0], adminAccess, Map.of("disabled", true));
        assertThat(disabled.status()).isEqualTo(200);
        assertThat(disabled.body().path("disabled").asBoolean()).isTrue();
        assertThat(call("GET", "/api/v1/auth/me", access, null).status()).isEqualTo(401);
        assertThat(login(u[1], u[2]).status()).isEqualTo(401);
        Reply viaToken = call("GET", "/api/v1/tokens", apiToken, null);
        assertThat(viaToken.status()).isEqualTo(401);
        assertThat(viaToken.code()).isEqualTo("token_user_disabled");

        assertThat(call("PATCH", "/api/v1/users/" + u[0], adminAccess, Map.of("disabled", false))
                        .status())
                .isEqualTo(200);
        assertThat(login(u[1], u[2]).status()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/tokens", apiToken, null).status()).isEqualTo(200);

        // deleting the user revokes their tokens
        assertThat(call("DELETE", "/api/v1/users/" + u[0], adminAccess, null).status())
                .isEqualTo(204);
        assertThat(keeper.tokens().verify(apiToken).isVerified()).isFalse();
        assertThat(call("GET", "/api/v1/users/" + u[0], adminAccess, null).status())
                .isEqualTo(404);
    }

    @Test
    @DisplayName("mass assignment: no tenant field anywhere, no change of one's own role, no token for another user")
    void massAssignment() throws Exception {
        String adminAccess = adminAccess();
        String adminId = call("GET", "/api/v1/auth/me", adminAccess, null)
                .body()
                .path("user_id")
                .asString();
        Reply ownRole = call("PATCH", "/api/v1/users/" + adminId, adminAccess, Map.of("role", "user"));
        assertThat(ownRole.status()).isEqualTo(403);
        Reply ownDelete = call("DELETE", "/api/v1/users/" + adminId, adminAccess, null);
        assertThat(ownDelete.status()).isEqualTo(403);

        String[] u = newUser("user");
        Reply tenant = call("PATCH", "/api/v1/users/" + u[0], adminAccess, Map.of("tenant_id", "other"));
        assertThat(tenant.status()).isEqualTo(400);
        assertThat(tenant.raw().body()).contains("tenant_id");
        Reply createWithTenant = call(
                "POST",
                "/api/v1/users",
                adminAccess,
                Map.of(
                        "username",
                        "sneaky" + SEQ.incrementAndGet(),
                        "password",
                        "long-enough-passphrase",
                        "tenant_id",
                        "other"));
        assertThat(createWithTenant.status()).isEqualTo(400);

        String userAccess = login(u[1], u[2]).body().path("access_token").asString();
        assertThat(call("PATCH", "/api/v1/users/" + u[0], userAccess, Map.of("role", "admin"))
                        .status())
                .isEqualTo(403);
        assertThat(call("POST", "/api/v1/tokens", userAccess, Map.of("name", "x", "user_id", adminId))
                        .status())
                .isEqualTo(403);
        assertThat(call("POST", "/api/v1/tokens", userAccess, Map.of("name", "x", "role", "admin"))
                        .status())
                .isEqualTo(403);
        Reply own = call("POST", "/api/v1/tokens", userAccess, Map.of("name", "x", "role", "agent"));
        assertThat(own.status()).isEqualTo(201);
        assertThat(own.body().path("token_info").path("user_id").asString()).isEqualTo(u[0]);
        assertThat(call("GET", "/api/v1/auth/me", userAccess, null)
                        .body()
                        .path("role")
                        .asString())
                .isEqualTo("user");

        // a role change applies to the user's next request
        assertThat(call("PATCH", "/api/v1/users/" + u[0], adminAccess, Map.of("role", "admin"))
                        .status())
                .isEqualTo(200);
        assertThat(call("GET", "/api/v1/users", userAccess, null).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("users: weak passwords, taken names in any case and unknown users are clear errors")
    void userErrors() throws Exception {
        String adminAccess = adminAccess();
        String[] u = newUser("user");
        Reply taken = call(
                "POST",
                "/api/v1/users",
                adminAccess,
                Map.of("username", u[1].toUpperCase(java.util.Locale.ROOT), "password", "long-enough-passphrase"));
        assertThat(taken.status()).isEqualTo(409);
        assertThat(taken.code()).isEqualTo("username_taken");
        for (String weak : List.of(
                "short",
                "password",
                "Password2024!",
                "passwordpassword",
                "aaaaaaaaaaaaaaaa",
                "x" + u[1] + "-long-enough")) {
            Reply r = call(
                    "POST",
                    "/api/v1/users",
                    adminAccess,
                    Map.of(
                            "username",
                            "weak" + SEQ.incrementAndGet(),
                            "password",
                            weak.replace("x" + u[1], "xweak" + SEQ.get())));
            assertThat(r.status()).as(weak).isEqualTo(400);
            assertThat(r.code()).as(weak).isIn("weak_password");
        }
        Reply badName = call(
                "POST",
                "/api/v1/users",
                adminAccess,
                Map.of("username", "bad name\u0007", "password", "long-enough-passphrase"));
        assertThat(badName.status()).isEqualTo(400);
        assertThat(badName.code()).isEqualTo("validation_failed");
        Reply missing = call("GET", "/api/v1/users/usr_nope", adminAccess, null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.code()).isEqualTo("user_not_found");
        Reply badRole = call(
                "POST",
                "/api/v1/users",
                adminAccess,
                Map.of("username", "r" + SEQ.incrementAndGet(), "password", "long-enough-passphrase", "role", "root"));
        assertThat(badRole.status()).isEqualTo(400);
    }

    @Test
    @DisplayName("the operator's admins create a tenant with its first admin, who sees only that tenant")
    void tenants() throws Exception {
        String operator = adminAccess();
        String id = "acme-" + SEQ.incrementAndGet();
        String adminName = "boss-" + id;
        Reply created = call(
                "POST",
                "/api/v1/tenants",
                operator,
                Map.of(
                        "id",
                        id,
                        "name",
                        "Acme",
                        "admin",
                        Map.of("username", adminName, "password", "acme-long-passphrase")));
        assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
        assertThat(created.body().path("tenant").path("users").asLong()).isEqualTo(1);
        assertThat(call("GET", "/api/v1/tenants/" + id, operator, null).status())
                .isEqualTo(200);

        String acme = login(adminName, "acme-long-passphrase")
                .body()
                .path("access_token")
                .asString();
        Reply me = call("GET", "/api/v1/auth/me", acme, null);
        assertThat(me.body().path("tenant_id").asString()).isEqualTo(id);
        assertThat(me.body().path("operator").asBoolean()).isFalse();
        assertThat(call("GET", "/api/v1/tenants", acme, null).status()).isEqualTo(403);
        String[] defaultUser = newUser("user");
        assertThat(call("GET", "/api/v1/users/" + defaultUser[0], acme, null).status())
                .isEqualTo(404);
        assertThat(call("GET", "/api/v1/users", acme, null).body().path("items"))
                .hasSize(1);

        // both or neither: a taken user name leaves no tenant behind
        String other = "other-" + SEQ.incrementAndGet();
        Reply clash = call(
                "POST",
                "/api/v1/tenants",
                operator,
                Map.of(
                        "id",
                        other,
                        "admin",
                        Map.of(
                                "username",
                                adminName.toUpperCase(java.util.Locale.ROOT),
                                "password",
                                "acme-long-passphrase")));
        assertThat(clash.status()).isEqualTo(409);
        assertThat(keeper.tenants().find(other)).isEmpty();
        Reply again = call(
                "POST",
                "/api/v1/tenants",
                operator,
                Map.of("id", id, "admin", Map.of("username", "fresh-" + id, "password", "acme-long-passphrase")));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("tenant_exists");
    }

    @Test
    @DisplayName("the signing key: generated once and kept in the database, so a restart or a second instance"
            + " accepts the tokens; a configured key is used instead, and a short one is refused at start")
    void signingKeys() throws Exception {
        String[] u = newUser("user");
        String access = login(u[1], u[2]).body().path("access_token").asString();
        var generated = new dev.tokenkeeper.app.accounts.AccessTokens(keeper, props, store);
        assertThat(generated.verify(access))
                .hasValueSatisfying(c -> assertThat(c.userId()).isEqualTo(u[0]));

        byte[] secret = new byte[32];
        new java.security.SecureRandom().nextBytes(secret);
        var configured = new dev.tokenkeeper.app.accounts.AccessTokens(keeper, withSecret("HS256", secret), store);
        assertThat(configured.verify(access)).isEmpty();
        var user = new dev.tokenkeeper.app.accounts.User(
                u[0], "default", u[1], dev.tokenkeeper.tokens.Role.USER, false, clock.instant(), clock.instant());
        String own = configured.issue(user, "ses_test");
        assertThat(configured.verify(own))
                .hasValueSatisfying(c -> assertThat(c.sessionId()).isEqualTo("ses_test"));
        assertThat(generated.verify(own)).isEmpty();

        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        new dev.tokenkeeper.app.accounts.AccessTokens(keeper, withSecret("HS256", new byte[16]), store))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least 32 bytes");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new dev.tokenkeeper.app.accounts.AccessTokens(keeper, withSecret("HS512", secret), store))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least 64 bytes");
    }

    private dev.tokenkeeper.app.config.AppProperties withSecret(String algorithm, byte[] secret) {
        var a = props.auth();
        return new dev.tokenkeeper.app.config.AppProperties(
                props.defaultTenant(),
                props.admin(),
                new dev.tokenkeeper.app.config.AppProperties.Auth(
                        algorithm,
                        Base64.getEncoder().encodeToString(secret),
                        a.issuer(),
                        a.audience(),
                        a.accessTokenTtl(),
                        a.refreshTokenTtl(),
                        a.loginAttempts(),
                        a.loginWindow(),
                        a.passwordMinLength()),
                props.maxBodySize(),
                props.apiRateLimit(),
                props.demoData());
    }

    @Test
    @DisplayName("no password, refresh token, access token or hash appears in the log")
    void noSecretsInTheLog(CapturedOutput output) throws Exception {
        String[] u = newUser("user");
        Reply login = login(u[1], u[2]);
        String access = login.body().path("access_token").asString();
        String refresh = login.body().path("refresh_token").asString();
        login(u[1], "a-wrong-password-here");
        call("POST", "/api/v1/auth/refresh", null, Map.of("refresh_token", refresh));
        call("POST", "/api/v1/auth/refresh", null, Map.of("refresh_token", refresh));
        call(
                "PUT",
                "/api/v1/auth/password",
                access,
                Map.of("current_password", u[2], "new_password", "yet-another-passphrase"));
        assertThat(output.getAll())
                .doesNotContain(u[2])
                .doesNotContain("a-wrong-password-here")
                .doesNotContain("yet-another-passphrase")
                .doesNotContain(refresh)
                .doesNotContain(access)
                .doesNotContain("$argon2");
    }

    private static Map<String, Object> header(String alg, String typ) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("alg", alg);
        h.put("typ", typ);
        return h;
    }

    private String sign(Map<String, Object> header, Map<String, Object> claims, String mac, byte[] key)
            throws Exception {
        String input = b64(json.writeValueAsString(header)) + "." + b64(json.writeValueAsString(claims));
        Mac m = Mac.getInstance(mac);
        m.init(new SecretKeySpec(key, mac));
        return input + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(m.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    private String b64(Map<String, Object> header) throws Exception {
        return b64(json.writeValueAsString(header));
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64d(String s) {
        return new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
    }

    private static String flip(String s) {
        char c = s.charAt(5);
        return s.substring(0, 5) + (c == 'A' ? 'B' : 'A') + s.substring(6);
    }
}
