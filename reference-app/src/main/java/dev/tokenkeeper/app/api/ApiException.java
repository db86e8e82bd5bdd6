package dev.tokenkeeper.app.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** An HTTP-level refusal made by the app itself (authentication, authorisation, request shape). */
public class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final HttpStatus status;
    private final String code;
    private final transient HttpHeaders headers;

    public ApiException(HttpStatus status, String code, String detail) {
        this(status, code, detail, HttpHeaders.EMPTY);
    }

    public ApiException(HttpStatus status, String code, String detail, HttpHeaders headers) {
        super(detail);
        this.status = status;
        this.code = code;
        this.headers = headers;
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
