package dev.tokenkeeper.app;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The reference app booted for real on a random port, on its SQLite default, for tests that drive it
 * over HTTP; one application context for every such test class (Spring's context cache), each test
 * with an admin token of its own.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class BootedApp {
    static final Path DATA;

    static {
        try {
            DATA = Files.createTempDirectory("tk-app");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The bootstrap admin's password in every booted test app. */
    static final String ADMIN_PASSWORD = "correct-horse-battery-staple-7";

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry r) {
        // a test class that boots a context of its own names its own file with tk.test.db-file
        r.add("tokenkeeper.storage.sqlite-file", () -> DATA + java.io.File.separator + "${tk.test.db-file:app.db}");
        r.add("tokenkeeper.admin.password", () -> ADMIN_PASSWORD);
        // the dashboard's tests seed the demo month; the others count every call they make
        r.add("tokenkeeper.demo-data", () -> "${tk.test.demo-data:false}");
    }

    @Autowired
    Environment env;

    @Autowired
    TokenKeeper keeper;

    final HttpClient http = HttpClient.newHttpClient();
    final JsonMapper json = JsonMapper.builder().build();
    String admin;

    @BeforeEach
    void issueAdmin() throws Exception {
        admin = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant("default")
                        .name("test-admin")
                        .role(Role.ADMIN)
                        .build())
                .secret();
    }

    /** A request with a JSON body (or none) and a bearer token (or none), answered as text. */
    java.net.http.HttpResponse<String> exchange(
            String method,
            String path,
            @org.jspecify.annotations.Nullable String bearer,
            @org.jspecify.annotations.Nullable String body)
            throws IOException, InterruptedException {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base() + path))
                .method(
                        method,
                        body == null
                                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                                : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** The storage backend the app runs on in this test class. */
    String backend() {
        return "sqlite";
    }

    String base() {
        return "http://localhost:" + env.getProperty("local.server.port");
    }
}
