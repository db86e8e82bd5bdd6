package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The control API's per-caller rate limit, set to 5 requests an hour so that the test cannot be
 * outrun by the clock: the sixth request of a caller is a 429 with Retry-After, another caller is
 * not affected.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"tokenkeeper.api-rate-limit.requests=5", "tokenkeeper.api-rate-limit.period=1h"})
@DisplayName("control API rate limit")
class ApiRateLimitTest {
    private static final Path DATA;

    static {
        try {
            DATA = Files.createTempDirectory("tk-app-rate");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry r) {
        r.add("tokenkeeper.storage.sqlite-file", () -> DATA.resolve("app.db").toString());
    }

    @Autowired
    Environment env;

    @Autowired
    TokenKeeper keeper;

    private final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> list(String token) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(
                                "http://localhost:" + env.getProperty("local.server.port") + "/api/v1/tokens"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("a caller past its requests per period gets 429 with Retry-After; another caller does not")
    void perCaller() throws Exception {
        String a = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("a")
                        .role(Role.ADMIN)
                        .build())
                .secret();
        String b = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("b")
                        .role(Role.ADMIN)
                        .build())
                .secret();
        for (int i = 0; i < 5; i++) {
            assertThat(list(a).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> refused = list(a);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(refused.body()).contains("\"code\":\"rate_limited\"");
        assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow()))
                .isBetween(1L, 3600L);
        assertThat(list(b).statusCode()).isEqualTo(200);
    }
}
