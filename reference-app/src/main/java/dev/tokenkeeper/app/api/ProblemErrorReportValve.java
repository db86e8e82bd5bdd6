package dev.tokenkeeper.app.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's own error answers — a request refused before any application code runs, such as an
 * encoded slash in the path or headers over the size limit — as problem documents instead of
 * Tomcat's HTML page, with the security headers the rest of the API sends.
 */
public class ProblemErrorReportValve extends ErrorReportValve {
    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        String code = switch (status) {
            case 400 -> "malformed_request";
            case 404 -> "not_found";
            case 413 -> "payload_too_large";
            default -> status >= 500 ? "internal_error" : "http_" + status;
        };
        String detail = switch (status) {
            case 400 -> "the request is not valid HTTP for this server (its path, or its headers' size)";
            case 404 -> "there is no endpoint at this path";
            default -> "the request could not be served";
        };
        try {
            response.reset();
            response.setStatus(status);
            response.setContentType("application/problem+json");
            response.setHeader("X-Content-Type-Options", "nosniff");
            response.setHeader("X-Frame-Options", "DENY");
            response.setHeader("Content-Security-Policy", "frame-ancestors 'none'");
            response.setHeader("Referrer-Policy", "no-referrer");
            OutputStream out = response.getOutputStream();
            out.write(("{\"type\":\"urn:tokenkeeper:problem:" + code.replace('_', '-') + "\",\"status\":" + status
                    + ",\"detail\":\"" + detail + "\",\"code\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8));
            response.finishResponse();
        } catch (IOException | IllegalStateException e) {
            // the client is gone, or the answer was committed meanwhile: nothing more to say
        }
    }
}
