package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard's session over plain HTTP, as a browser would hold it: the refresh token in an
 * HttpOnly, Secure, SameSite=Strict cookie, renewed only with the CSRF header bound to it; and the
 * page itself, served with a strict Content-Security-Policy.
 */
@DisplayName("the dashboard's session and page")
class DashboardSessionTest extends BootedApp {

    /** A login that asks for the refresh token in a cookie. */
    private HttpResponse<String> cookieLogin() throws Exception {
        return exchange(
                "POST",
                "/api/v1/auth/login",
                null,
                "{\"username\":\"admin\",\"password\":\"" + ADMIN_PASSWORD + "\",\"refresh_token_in_cookie\":true}");
    }

    /** The Set-Cookie headers of an answer, by cookie name. */
    private static Map<String, String> cookies(HttpResponse<?> r) {
        return r.headers().allValues("Set-Cookie").stream()
                .collect(Collectors.toMap(c -> c.substring(0, c.indexOf('=')), c -> c));
    }

    private static String value(String setCookie) {
        return setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
    }

    private HttpResponse<String> refresh(Optional<String> refreshCookie, Optional<String> csrfHeader) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + "/api/v1/auth/refresh"))
                .POST(HttpRequest.BodyPublishers.noBody());
        refreshCookie.ifPresent(c -> b.header("Cookie", "tk_refresh=" + c));
        csrfHeader.ifPresent(h -> b.header("X-CSRF-Token", h));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("a browser login keeps the refresh token out of the page: HttpOnly, Secure, SameSite=Strict")
    void cookieLoginAnswer() throws Exception {
        HttpResponse<String> r = cookieLogin();
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("access_token").asString()).isNotEmpty();
        assertThat(body.has("refresh_token")).isFalse();
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");

        Map<String, String> cookies = cookies(r);
        String refresh = cookies.get("tk_refresh");
        assertThat(refresh)
                .startsWith("tk_refresh=tkr_")
                .contains("; Path=/api/v1/auth", "; Max-Age=604800", "; Secure", "; HttpOnly", "; SameSite=Strict");
        String csrf = cookies.get("tk_csrf");
        assertThat(csrf)
                .contains("; Path=/", "; Max-Age=604800", "; Secure", "; SameSite=Strict")
                .doesNotContain("HttpOnly"); // the page reads it, to echo it in the header
        assertThat(value(csrf)).isNotEqualTo(value(refresh)).doesNotContain(value(refresh));

        // an API client's login is unchanged: the refresh token in the body, no cookie
        HttpResponse<String> api = exchange(
                "POST", "/api/v1/auth/login", null, "{\"username\":\"admin\",\"password\":\"" + ADMIN_PASSWORD + "\"}");
        assertThat(json.readTree(api.body()).path("refresh_token").asString()).startsWith("tkr_");
        assertThat(api.headers().allValues("Set-Cookie")).isEmpty();
    }

    @Test
    @DisplayName("a refresh by cookie needs the CSRF header bound to that cookie, rotates both, and spots reuse")
    void refreshByCookie() throws Exception {
        Map<String, String> first = cookies(cookieLogin());
        String token = value(first.get("tk_refresh"));
        String csrf = value(first.get("tk_csrf"));

        HttpResponse<String> noHeader = refresh(Optional.of(token), Optional.empty());
        assertThat(noHeader.statusCode()).isEqualTo(403);
        assertThat(json.readTree(noHeader.body()).path("code").asString()).isEqualTo("csrf_failed");
        HttpResponse<String> wrongHeader = refresh(Optional.of(token), Optional.of(csrf.substring(1) + "A"));
        assertThat(wrongHeader.statusCode()).isEqualTo(403);
        assertThat(refresh(Optional.empty(), Optional.of(csrf)).statusCode()).isEqualTo(401);

        HttpResponse<String> ok = refresh(Optional.of(token), Optional.of(csrf));
        assertThat(ok.statusCode()).isEqualTo(200);
        String access = json.readTree(ok.body()).path("access_token").asString();
        assertThat(exchange("GET", "/api/v1/auth/me", access, null).statusCode())
                .isEqualTo(200);
        Map<String, String> second = cookies(ok);
        assertThat(value(second.get("tk_refresh"))).isNotEqualTo(token);
        assertThat(value(second.get("tk_csrf"))).isNotEqualTo(csrf);

        // the spent cookie again, even with its own header: reuse, and the whole session ends
        HttpResponse<String> reused = refresh(Optional.of(token), Optional.of(csrf));
        assertThat(reused.statusCode()).isEqualTo(401);
        assertThat(json.readTree(reused.body()).path("code").asString()).isEqualTo("invalid_refresh_token");
        assertThat(exchange("GET", "/api/v1/auth/me", access, null).statusCode())
                .isEqualTo(401);
    }

    @Test
    @DisplayName("logging out clears both cookies")
    void logoutClearsCookies() throws Exception {
        HttpResponse<String> login = cookieLogin();
        String access = json.readTree(login.body()).path("access_token").asString();
        HttpResponse<String> out = exchange("POST", "/api/v1/auth/logout", access, null);
        assertThat(out.statusCode()).isEqualTo(204);
        Map<String, String> cleared = cookies(out);
        assertThat(cleared.get("tk_refresh")).startsWith("tk_refresh=;").contains("Max-Age=0", "Path=/api/v1/auth");
        assertThat(cleared.get("tk_csrf")).startsWith("tk_csrf=;").contains("Max-Age=0", "Path=/");
        // and the refresh token of that session is dead
        Map<String, String> gone = cookies(login);
        assertThat(refresh(Optional.of(value(gone.get("tk_refresh"))), Optional.of(value(gone.get("tk_csrf"))))
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    @DisplayName("the page and its scripts come from the app, under a policy without inline script, eval or framing")
    void pageAndPolicy() throws Exception {
        for (String path : List.of(
                "/",
                "/app.js",
                "/app.css",
                "/webjars/vue/dist/vue.runtime.global.prod.js",
                "/webjars/chart.js/dist/chart.umd.min.js")) {
            HttpResponse<String> r = exchange("GET", path, null, null);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertThat(csp)
                    .as(path)
                    .contains(
                            "default-src 'self'",
                            "script-src 'self';",
                            "style-src 'self';",
                            "object-src 'none'",
                            "base-uri 'none'",
                            "frame-ancestors 'none'")
                    .doesNotContain("unsafe-inline", "unsafe-eval", "http:", "https:");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        }
        HttpResponse<String> page = exchange("GET", "/", null, null);
        assertThat(page.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        // no inline script or style in the page: the policy would refuse it anyway
        assertThat(page.body())
                .doesNotContainPattern("<script(?![^>]*\\ssrc=)[^>]*>")
                .doesNotContain("<style", "style=", "onload=", "onclick=");
        // the runtime build: no template compiler, so nothing needs eval
        assertThat(exchange("GET", "/webjars/vue/dist/vue.runtime.global.prod.js", null, null)
                        .body())
                .doesNotContainPattern("[^A-Za-z_.$]Function\\("); // the full build compiles with Function(code)()
    }
}
