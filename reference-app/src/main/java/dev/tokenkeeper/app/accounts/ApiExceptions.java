package dev.tokenkeeper.app.accounts;

import dev.tokenkeeper.app.api.ApiException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** The 401 answers of the account endpoints. */
final class ApiExceptions {
    private ApiExceptions() {}

    /** A 401 without a bearer challenge error: the credentials in the body were refused. */
    static ApiException unauthorized(String code, String detail) {
        HttpHeaders h = new HttpHeaders();
        h.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"tokenkeeper\"");
        return new ApiException(HttpStatus.UNAUTHORIZED, code, detail, h);
    }
}
