package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;

/** The OpenAPI document describes every endpoint of the API, with its security, in the API's own names. */
@DisplayName("the OpenAPI document and Swagger UI")
class OpenApiTest extends BootedApp {
    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    JsonNode document() throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base() + "/v3/api-docs")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return json.readTree(r.body());
    }

    @Test
    @DisplayName("every endpoint of the app is in /v3/api-docs, an OpenAPI 3.1 document")
    void everyEndpointIsDescribed() throws Exception {
        JsonNode doc = document();
        assertThat(doc.path("openapi").asString()).startsWith("3.1");
        Set<String> app = new TreeSet<>();
        for (RequestMappingInfo info : mappings.getHandlerMethods().keySet()) {
            for (String path : info.getPatternValues()) {
                if (path.startsWith("/api/v1/")) {
                    info.getMethodsCondition()
                            .getMethods()
                            .forEach(m -> app.add(m.name().toLowerCase(Locale.ROOT) + " " + path));
                }
            }
        }
        Set<String> described = new TreeSet<>();
        doc.path("paths")
                .properties()
                .forEach(p -> p.getValue().properties().forEach(op -> described.add(op.getKey() + " " + p.getKey())));
        assertThat(app).hasSizeGreaterThan(30);
        assertThat(described).containsAll(app);
    }

    @Test
    @DisplayName("it names both bearer schemes, leaves login public, and uses the API's snake_case names")
    void securityAndNames() throws Exception {
        JsonNode doc = document();
        JsonNode schemes = doc.path("components").path("securitySchemes");
        assertThat(schemes.path("session").path("bearerFormat").asString()).isEqualTo("JWT");
        assertThat(schemes.path("apiToken").path("scheme").asString()).isEqualTo("bearer");
        assertThat(doc.path("paths").path("/api/v1/auth/login").path("post").path("security"))
                .isEmpty();
        assertThat(doc.path("paths").path("/api/v1/tokens").path("get").path("security"))
                .hasSize(2);
        assertThat(doc.path("paths")
                        .path("/api/v1/tokens")
                        .path("post")
                        .path("responses")
                        .has("201"))
                .isTrue();
        JsonNode login =
                doc.path("components").path("schemas").path("TokenResponse").path("properties");
        assertThat(login.has("access_token")).isTrue();
        assertThat(login.has("accessToken")).isFalse();
    }

    @Test
    @DisplayName("Swagger UI is served at /swagger-ui")
    void swaggerUi() throws Exception {
        HttpResponse<String> r = HttpClientFollowing.get(base() + "/swagger-ui");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).containsIgnoringCase("swagger");
    }

    /** A client that follows the UI's redirect to its index page. */
    static final class HttpClientFollowing {
        static HttpResponse<String> get(String url) throws Exception {
            return java.net.http.HttpClient.newBuilder()
                    .followRedirects(java.net.http.HttpClient.Redirect.NORMAL)
                    .build()
                    .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
