package dev.tokenkeeper.app.api;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /error}, where the servlet container forwards what fails outside Spring MVC: answered as a
 * problem document with the status the container set, never a stack trace; asked for directly (no
 * error being forwarded), it is a path like any other that does not exist.
 */
@RestController
public class ErrorEndpoint implements ErrorController {
    @RequestMapping(
            value = "/error",
            produces = {MediaType.APPLICATION_PROBLEM_JSON_VALUE, MediaType.ALL_VALUE})
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        HttpStatus status = code instanceof Integer i && HttpStatus.resolve(i) != null && i >= 400
                ? HttpStatus.valueOf(i)
                : HttpStatus.NOT_FOUND;
        String problem = ProblemHandler.codeFor(status.value());
        return ProblemHandler.problem(
                status,
                problem,
                switch (problem) {
                    case "not_found" -> "there is no endpoint at this path";
                    case "internal_error" -> "an unexpected error occurred";
                    default -> status.getReasonPhrase();
                },
                HttpHeaders.EMPTY);
    }
}
