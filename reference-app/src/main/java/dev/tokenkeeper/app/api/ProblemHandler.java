package dev.tokenkeeper.app.api;

import dev.tokenkeeper.ConflictException;
import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.TokenKeeperException;
import java.net.URI;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error is an RFC 9457 {@code application/problem+json} document with a stable {@code code}
 * member; no stack trace, no secret.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e) {
        return problem(e.status(), e.code(), e.getMessage(), e.headers());
    }

    @ExceptionHandler(TokenKeeperException.class)
    ResponseEntity<ProblemDetail> core(TokenKeeperException e) {
        HttpStatus status;
        if (e instanceof InvalidRequestException) {
            status = HttpStatus.BAD_REQUEST;
        } else if (e instanceof NotFoundException) {
            status = HttpStatus.NOT_FOUND;
        } else if (e instanceof ConflictException) {
            status = HttpStatus.CONFLICT;
        } else if (e instanceof StorageException) {
            LOG.warn("storage failure: {}", e.getMessage());
            return problem(HttpStatus.SERVICE_UNAVAILABLE, e.code().id(), "storage is unavailable; retry later",
                    HttpHeaders.EMPTY);
        } else {
            status = HttpStatus.INTERNAL_SERVER_ERROR;
        }
        return problem(status, e.code().id(), e.getMessage(), HttpHeaders.EMPTY);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        LOG.error("unexpected error", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error", "an unexpected error occurred",
                HttpHeaders.EMPTY);
    }

    /** Spring's own errors (malformed JSON, wrong method, unknown path ...) get a code too. */
    @Override
    protected @Nullable ResponseEntity<Object> handleExceptionInternal(
            Exception ex, @Nullable Object body, HttpHeaders headers, HttpStatusCode statusCode, WebRequest request) {
        ResponseEntity<Object> response = super.handleExceptionInternal(ex, body, headers, statusCode, request);
        if (response != null && response.getBody() instanceof ProblemDetail pd) {
            pd.setProperty("code", codeFor(statusCode.value()));
            if (statusCode.value() == 400 && ex instanceof org.springframework.http.converter.HttpMessageNotReadableException) {
                pd.setDetail("the request body is not valid JSON of the expected shape");
            }
        }
        return response;
    }

    private static String codeFor(int status) {
        return switch (status) {
            case 400 -> "malformed_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 415 -> "unsupported_media_type";
            default -> "http_" + status;
        };
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String code, String detail, HttpHeaders headers) {
        ProblemDetail pd = ProblemDetail.forStatusAndDetail(status, detail);
        pd.setType(URI.create("urn:tokenkeeper:problem:" + code.replace('_', '-')));
        pd.setProperty("code", code);
        return ResponseEntity.status(status).headers(headers).body(pd);
    }
}
