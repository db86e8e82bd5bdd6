package dev.tokenkeeper.app.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.CapturedLog;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The servlet's own errors: what the gateway throws past its refusals is answered in the surface's
 * envelope, never as a stack trace. The gateway is a Mockito mock here because a real one cannot be
 * made to fail this way on purpose; every other path of the servlet is driven over HTTP in
 * GatewayTest.
 */
@DisplayName("the gateway servlet: failures past the gateway's refusals, in the provider's envelope")
class GatewayServletTest {
    private final JsonMapper json = JsonMapper.builder().build();
    private final Gateway gateway = mock(Gateway.class);
    private final GatewayServlet servlet = new GatewayServlet(gateway, mock(Providers.class), mock(TokenKeeper.class));
    private final CapturedLog log = new CapturedLog(GatewayServlet.class);

    @AfterEach
    void restoreLog() {
        log.close();
    }

    private MockHttpServletResponse post(String path) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/v1" + path);
        request.setServletPath("/v1");
        request.setPathInfo(path);
        MockHttpServletResponse response = new MockHttpServletResponse();
        servlet.service(request, response);
        return response;
    }

    @Test
    @DisplayName("a storage failure is a 503 in OpenAI's envelope, logged as a warning without a trace")
    void storageFailure() throws Exception {
        doThrow(new StorageException("database is locked", null))
                .when(gateway)
                .handle(any(Surface.class), any(HttpServletRequest.class), any(HttpServletResponse.class));
        MockHttpServletResponse response = post("/chat/completions");
        assertThat(response.getStatus()).isEqualTo(503);
        JsonNode error = json.readTree(response.getContentAsString()).path("error");
        assertThat(error.path("code").asString()).isEqualTo("storage_unavailable");
        assertThat(error.path("message").asString()).isEqualTo("storage is unavailable; retry later");
        assertThat(log.events()).singleElement().satisfies(e -> {
            assertThat(e.getLevel().toString()).isEqualTo("WARN");
            assertThat(e.getThrowableProxy()).isNull();
        });
    }

    @Test
    @DisplayName("an unexpected error is a 500 in Anthropic's envelope on /v1/messages, its detail only in the log")
    void unexpectedError() throws Exception {
        doThrow(new IllegalStateException("secret internal detail"))
                .when(gateway)
                .handle(any(Surface.class), any(HttpServletRequest.class), any(HttpServletResponse.class));
        MockHttpServletResponse response = post("/messages");
        assertThat(response.getStatus()).isEqualTo(500);
        JsonNode body = json.readTree(response.getContentAsString());
        assertThat(body.path("type").asString()).isEqualTo("error");
        assertThat(body.path("error").path("type").asString()).isEqualTo("api_error");
        assertThat(response.getContentAsString()).doesNotContain("secret internal detail");
        assertThat(log.events()).singleElement().satisfies(e -> {
            assertThat(e.getLevel().toString()).isEqualTo("ERROR");
            assertThat(e.getThrowableProxy().getMessage()).isEqualTo("secret internal detail");
        });
    }

    @Test
    @DisplayName("a path that is no surface never reaches the gateway")
    void unknownPath() throws Exception {
        MockHttpServletResponse response = post("/completions");
        assertThat(response.getStatus()).isEqualTo(404);
        assertThat(json.readTree(response.getContentAsString())
                        .path("error")
                        .path("code")
                        .asString())
                .isEqualTo("unknown_endpoint");
        verifyNoInteractions(gateway);
    }
}
