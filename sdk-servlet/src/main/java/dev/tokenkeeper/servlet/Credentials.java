package dev.tokenkeeper.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Enumeration;
import org.jspecify.annotations.Nullable;

/**
 * Reads the API token a request presents, the one way the filter and any application code should:
 * {@code Authorization: Bearer <token>} following RFC 6750, section 2.1 ({@code "Bearer" 1*SP
 * b64token}: the scheme in any case, one or more spaces — not tabs — then the token's characters),
 * or {@code X-API-Key} / {@code api-key} (as Anthropic's and Azure OpenAI's clients send it), or a
 * query parameter when one is configured.
 *
 * <p>A request that presents more than one credential — two {@code Authorization} headers, or a
 * bearer token and an API-key header with another value — is {@link Result.Ambiguous}: answering it
 * with the first would let a proxy and the application disagree on who is calling. Stateless and
 * thread-safe.
 */
public final class Credentials {
    private Credentials() {}

    /** What a request presents. */
    public sealed interface Result {
        /** One well-formed credential. */
        record Present(String secret) implements Result {}

        /** No credential at all. */
        record Missing() implements Result {}

        /** An {@code Authorization} header that is not {@code Bearer} followed by a well-formed token. */
        record Malformed(String problem) implements Result {}

        /** More than one credential, or one given twice with different values. */
        record Ambiguous(String problem) implements Result {}
    }

    private static final Result MISSING = new Result.Missing();

    /**
     * The credential of the request.
     *
     * @param queryParameter the query parameter that may carry the token, or {@code null} for none
     */
    public static Result read(HttpServletRequest request, @Nullable String queryParameter) {
        String found = null;
        String from = null;
        Enumeration<String> authorizations = request.getHeaders("Authorization");
        int count = 0;
        while (authorizations != null && authorizations.hasMoreElements()) {
            String header = authorizations.nextElement();
            if (++count > 1) {
                return new Result.Ambiguous("more than one Authorization header");
            }
            String token = bearer(header);
            if (token == null) {
                return new Result.Malformed("the Authorization header must be 'Bearer <token>' (RFC 6750)");
            }
            found = token;
            from = "Authorization";
        }
        for (String name : new String[] {"X-API-Key", "api-key"}) {
            Enumeration<String> values = request.getHeaders(name);
            while (values != null && values.hasMoreElements()) {
                String key = values.nextElement().strip();
                if (key.isEmpty()) {
                    continue;
                }
                if (found != null && !found.equals(key)) {
                    return new Result.Ambiguous("the " + from + " and " + name + " headers carry different tokens");
                }
                found = key;
                from = name;
            }
        }
        if (queryParameter != null) {
            String[] values = request.getParameterValues(queryParameter);
            if (values != null) {
                for (String v : values) {
                    String key = v.strip();
                    if (key.isEmpty()) {
                        continue;
                    }
                    if (found != null && !found.equals(key)) {
                        return new Result.Ambiguous("the " + from + " and the query parameter carry different tokens");
                    }
                    found = key;
                    from = "the query parameter";
                }
            }
        }
        return found == null ? MISSING : new Result.Present(found);
    }

    /** The token of {@code Bearer <token>} per RFC 6750's grammar, or {@code null}. */
    static @Nullable String bearer(String header) {
        int n = header.length();
        if (n < 8 || !header.regionMatches(true, 0, "Bearer", 0, 6) || header.charAt(6) != ' ') {
            return null;
        }
        int i = 7;
        while (i < n && header.charAt(i) == ' ') {
            i++;
        }
        int start = i;
        while (i < n && b64tokenChar(header.charAt(i))) {
            i++;
        }
        if (i == start) {
            return null;
        }
        while (i < n && header.charAt(i) == '=') {
            i++;
        }
        int end = i;
        // RFC 9110 lets a field value end in optional white space, which a container may keep
        while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == '\t')) {
            i++;
        }
        return i == n ? header.substring(start, end) : null;
    }

    /** RFC 6750: {@code b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="}. */
    private static boolean b64tokenChar(char c) {
        // a table rather than a chain of ranges: a secret's characters are random, and so would be
        // which comparison of the chain ends it, a mispredicted branch for many of them
        return c < B64TOKEN.length && B64TOKEN[c];
    }

    private static final boolean[] B64TOKEN = new boolean[128];

    static {
        for (char c = 0; c < B64TOKEN.length; c++) {
            B64TOKEN[c] = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '.'
                    || c == '_'
                    || c == '~'
                    || c == '+'
                    || c == '/';
        }
    }
}
