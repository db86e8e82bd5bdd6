package dev.tokenkeeper.app.gateway;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Errors in the envelope of the surface the client called, so that its SDK raises its usual
 * exception: OpenAI's {@code {"error":{"message","type","param","code"}}} or Anthropic's
 * {@code {"type":"error","error":{"type","message"}}}.
 */
final class Envelope {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Envelope() {}

    static void error(HttpServletResponse response, boolean anthropic, int status, String code, String message)
            throws IOException {
        byte[] body = head(response, anthropic, status, code, message);
        response.getOutputStream().write(body);
    }

    /**
     * Sets the error's status and headers on the response, and answers its body to write: for a
     * response written in non-blocking mode.
     */
    static byte[] head(HttpServletResponse response, boolean anthropic, int status, String code, String message) {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        return body(anthropic, status, code, message);
    }

    private static byte[] body(boolean anthropic, int status, String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        if (anthropic) {
            body.put("type", "error");
            body.putObject("error").put("type", anthropicType(status)).put("message", message);
        } else {
            ObjectNode e = body.putObject("error");
            e.put("message", message)
                    .put("type", openAiType(status))
                    .putNull("param")
                    .put("code", code);
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String openAiType(int status) {
        return switch (status) {
            case 400, 404, 413, 415 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            default -> "api_error";
        };
    }

    static String anthropicType(int status) {
        return switch (status) {
            case 400, 415 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 504 -> "timeout_error";
            default -> "api_error";
        };
    }
}
