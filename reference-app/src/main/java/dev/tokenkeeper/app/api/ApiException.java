package dev.tokenkeeper.app.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** An HTTP-level refusal made by the app itself (authentication, authorisation, request shape). */
public class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final HttpStatus status;
    private final String code;
    private final transient HttpHeaders headers;
    private final String reason;

    public ApiException(HttpStatus status, String code, String detail) {
        this(status, code, detail, HttpHeaders.EMPTY);
    }

    public ApiException(HttpStatus status, String code, String detail, HttpHeaders headers) {
        this(status, code, detail, headers, code);
    }

    private ApiException(HttpStatus status, String code, String detail, HttpHeaders headers, String reason) {
        super(detail);
        this.status = status;
        this.code = code;
        this.headers = headers;
        this.reason = reason;
    }

    /**
     * A 403 {@code forbidden}; {@code reason} (such as {@code role_required}) goes to the audit
     * event that records the refusal, not to the caller.
     */
    public static ApiException forbidden(String reason, String detail) {
        return new ApiException(HttpStatus.FORBIDDEN, "forbidden", detail, HttpHeaders.EMPTY, reason);
    }

    /** Why the request was refused, in more detail than the code; for the audit log. */
    public String reason() {
        return reason;
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public HttpHeaders headers() {
        return headers;
    }
}
