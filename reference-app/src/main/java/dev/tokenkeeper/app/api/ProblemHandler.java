package dev.tokenkeeper.app.api;

import dev.tokenkeeper.ConflictException;
import dev.tokenkeeper.InvalidRequestException;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.StorageException;
import dev.tokenkeeper.TokenKeeperException;
import jakarta.servlet.http.HttpServletRequest;
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

    private final AccessAudit accessAudit;

    public ProblemHandler(AccessAudit accessAudit) {
        this.accessAudit = accessAudit;
    }

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e, HttpServletRequest request) {
        if (e.status() == HttpStatus.FORBIDDEN) {
            accessAudit.forbidden(request, e.reason());
        }
        return problem(
                e.status(), e.code(), java.util.Objects.requireNonNullElse(e.getMessage(), e.code()), e.headers());
    }

    @ExceptionHandler(TokenKeeperException.class)
    ResponseEntity<ProblemDetail> core(TokenKeeperException e, HttpServletRequest request) {
        HttpStatus status;
        if (e instanceof InvalidRequestException) {
            status = HttpStatus.BAD_REQUEST;
        } else if (e instanceof NotFoundException notFound) {
            accessAudit.notFound(request, notFound);
            status = HttpStatus.NOT_FOUND;
        } else if (e instanceof ConflictException) {
            status = HttpStatus.CONFLICT;
        } else if (e instanceof StorageException) {
            LOG.warn("storage failure: {}", e.getMessage());
            return problem(
                    HttpStatus.SERVICE_UNAVAILABLE,
                    e.code().id(),
                    "storage is unavailable; retry later",
                    HttpHeaders.EMPTY);
        } else {
            status = HttpStatus.INTERNAL_SERVER_ERROR;
        }
        return problem(
                status,
                e.code().id(),
                java.util.Objects.requireNonNullElse(e.getMessage(), e.code().id()),
                HttpHeaders.EMPTY);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        LOG.error("unexpected error", e);
        return problem(
                HttpStatus.INTERNAL_SERVER_ERROR, "internal_error", "an unexpected error occurred", HttpHeaders.EMPTY);
    }

    /**
     * Spring's own errors (malformed JSON, wrong method, unknown path, media types) become the same
     * problem documents, in the API's words: a code, a type, and a detail that names the offending
     * field where there is one (never the framework's message, never an exception class).
     */
    @Override
    protected @Nullable ResponseEntity<Object> handleExceptionInternal(
            Exception ex, @Nullable Object body, HttpHeaders headers, HttpStatusCode statusCode, WebRequest request) {
        ResponseEntity<Object> response = super.handleExceptionInternal(ex, body, headers, statusCode, request);
        if (response != null && response.getBody() instanceof ProblemDetail pd) {
            String code = codeFor(statusCode.value());
            pd.setType(URI.create("urn:tokenkeeper:problem:" + code.replace('_', '-')));
            pd.setProperty("code", code);
            String detail = detailFor(ex, statusCode.value());
            if (detail != null) {
                pd.setDetail(detail);
            }
        }
        return response;
    }

    private static @Nullable String detailFor(Exception ex, int status) {
        if (ex instanceof org.springframework.http.converter.HttpMessageNotReadableException) {
            for (Throwable t = ex; t != null; t = t.getCause()) {
                if (t instanceof EdgeFilter.BodyTooLarge || t instanceof EdgeFilter.NotUtf8) {
                    return t.getMessage();
                }
                if (t instanceof tools.jackson.databind.exc.UnrecognizedPropertyException u) {
                    return "unknown field '" + printable(u.getPropertyName()) + "'";
                }
                if (t instanceof tools.jackson.databind.exc.MismatchedInputException m
                        && !m.getPath().isEmpty()) {
                    return "field '" + printable(fieldPath(m)) + "' has the wrong type or format";
                }
            }
            return "the request body is not valid JSON of the expected shape";
        }
        return switch (status) {
            case 404 -> "there is no endpoint at this path";
            case 405 -> "this endpoint does not take this method";
            case 406 -> "this endpoint answers application/json (or application/problem+json)";
            case 415 -> "this endpoint takes application/json";
            default -> null;
        };
    }

    private static String fieldPath(tools.jackson.databind.exc.MismatchedInputException m) {
        StringBuilder b = new StringBuilder();
        for (tools.jackson.core.JacksonException.Reference r : m.getPath()) {
            if (r.getPropertyName() != null) {
                b.append(b.length() == 0 ? "" : ".").append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    /** A name from the request, cut and with control characters escaped. */
    private static String printable(@Nullable String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 64; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        return s.length() > 64 ? b + "..." : b.toString();
    }

    @Override
    protected @Nullable ResponseEntity<Object> handleHttpMessageNotReadable(
            org.springframework.http.converter.HttpMessageNotReadableException ex,
            HttpHeaders headers,
            HttpStatusCode status,
            WebRequest request) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof EdgeFilter.BodyTooLarge) {
                return handleExceptionInternal(
                        ex,
                        ProblemDetail.forStatus(HttpStatus.CONTENT_TOO_LARGE),
                        headers,
                        HttpStatus.CONTENT_TOO_LARGE,
                        request);
            }
        }
        return super.handleHttpMessageNotReadable(ex, headers, status, request);
    }

    /** The code of an error that has no more specific one: the framework's, the container's. */
    static String codeFor(int status) {
        return switch (status) {
            case 400 -> "malformed_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal_error" : "http_" + status;
        };
    }

    static ResponseEntity<ProblemDetail> problem(HttpStatus status, String code, String detail, HttpHeaders headers) {
        ProblemDetail pd = ProblemDetail.forStatusAndDetail(status, detail);
        pd.setType(URI.create("urn:tokenkeeper:problem:" + code.replace('_', '-')));
        pd.setProperty("code", code);
        return ResponseEntity.status(status).headers(headers).body(pd);
    }
}
