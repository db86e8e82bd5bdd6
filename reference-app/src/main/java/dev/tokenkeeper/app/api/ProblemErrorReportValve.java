package dev.tokenkeeper.app.api;

import java.io.IOException;
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
        String code = ProblemHandler.codeFor(status);
        String detail = switch (status) {
            case 400 -> "the request is not valid HTTP for this server (its path, or its headers' size)";
            case 404 -> "there is no endpoint at this path";
            default -> "the request could not be served";
        };
        try {
            response.reset();
            EdgeFilter.securityHeaders(response);
            org.springframework.http.HttpStatus known = org.springframework.http.HttpStatus.resolve(status);
            EdgeFilter.problem(response, status, known == null ? "Error" : known.getReasonPhrase(), code, detail);
            response.finishResponse();
        } catch (IOException | IllegalStateException e) {
            // the client is gone, or the answer was committed meanwhile: nothing more to say
        }
    }
}
