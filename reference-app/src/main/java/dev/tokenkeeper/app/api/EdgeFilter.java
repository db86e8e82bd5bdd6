package dev.tokenkeeper.app.api;

import dev.tokenkeeper.app.config.AppProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * What every answer of the app gets, before Spring MVC sees the request: the security headers
 * browsers and scanners expect ({@code X-Content-Type-Options: nosniff}, so that an error echoing
 * input is never sniffed as HTML; no framing; no referrer), a refusal of cross-origin preflight
 * requests as a problem document — the API serves no other origin — and a cap on the body's size:
 * a declared length over {@code tokenkeeper.max-body-size} is a 413 before a byte is read, and a
 * body without a declared length stops being read at the cap (and is a 413 too). A body that is not
 * valid UTF-8 is a 400.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class EdgeFilter extends OncePerRequestFilter {
    private final long maxBody;

    public EdgeFilter(AppProperties props) {
        this.maxBody = props.maxBodySize().toBytes();
    }

    /** Thrown by a capped body's stream past the cap; answered with 413 by the problem handler. */
    public static final class BodyTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLarge(long max) {
            super("the request body is larger than " + max + " bytes");
        }
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        securityHeaders(response);
        if (swaggerUi(request)) {
            response.setHeader("Content-Security-Policy", "frame-ancestors 'none'");
        }
        if ("OPTIONS".equals(request.getMethod())
                && request.getHeader("Origin") != null
                && request.getHeader("Access-Control-Request-Method") != null) {
            problem(
                    response,
                    403,
                    "Forbidden",
                    "cors_not_allowed",
                    "cross-origin requests are not allowed: the API serves its own origin only");
            return;
        }
        if (request.getRequestURI().startsWith("/v1/")) {
            // the gateway's surfaces read their (larger) bodies themselves, with their own cap and envelope
            chain.doFilter(request, response);
            return;
        }
        if (request.getContentLengthLong() > maxBody) {
            response.setHeader("Connection", "close"); // the body is not read
            problem(
                    response,
                    413,
                    "Content Too Large",
                    "payload_too_large",
                    "the request body may be at most " + maxBody + " bytes");
            return;
        }
        chain.doFilter(new CappedBody(request, maxBody), response);
    }

    /**
     * The dashboard's policy: scripts, styles and everything else from the app's own origin only —
     * no inline script or style, no {@code eval} — no plugins, no {@code <base>}, no framing.
     * Charts draw on canvases; images are the app's own or {@code data:} URLs.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none';"
            + " form-action 'self'; frame-ancestors 'none'";

    /** The headers every answer carries, errors included. */
    static void securityHeaders(HttpServletResponse response) {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.setHeader("Referrer-Policy", "no-referrer");
    }

    /** Swagger UI, a third party's page, keeps to the no-framing part of the policy. */
    private static boolean swaggerUi(HttpServletRequest request) {
        String uri = request.getRequestURI();
        return uri.startsWith("/swagger-ui");
    }

    /** Writes a problem document; {@code title} and {@code detail} are the app's own words, never input. */
    static void problem(HttpServletResponse response, int status, String title, String code, String detail)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.getOutputStream()
                .write(("{\"type\":\"urn:tokenkeeper:problem:" + code.replace('_', '-')
                                + "\",\"title\":\"" + title + "\",\"status\":" + status + ",\"detail\":\"" + detail
                                + "\",\"code\":\"" + code + "\"}")
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** Thrown when a body is not valid UTF-8; answered with 400 by the problem handler. */
    public static final class NotUtf8 extends IOException {
        private static final long serialVersionUID = 1L;

        NotUtf8() {
            super("the request body is not valid UTF-8");
        }
    }

    /**
     * The request, with its body read up to the cap and checked to be UTF-8 as RFC 8259 requires of
     * JSON: the JDK's strict decoder refuses overlong forms (0xC0 0xAF for '/'), encoded surrogates and
     * truncated sequences, none of which may reach a name or an id. Bodies are small (the cap), so
     * reading one whole costs nothing.
     */
    private static final class CappedBody extends jakarta.servlet.http.HttpServletRequestWrapper {
        private final long max;
        private byte @org.jspecify.annotations.Nullable [] body;

        CappedBody(HttpServletRequest request, long max) {
            super(request);
            this.max = max;
        }

        private byte[] body() throws IOException {
            if (body == null) {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                ServletInputStream in = super.getInputStream();
                for (int n; (n = in.read(buf)) > 0; ) {
                    if (out.size() + n > max) {
                        throw new BodyTooLarge(max);
                    }
                    out.write(buf, 0, n);
                }
                byte[] bytes = out.toByteArray();
                try {
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                            .decode(java.nio.ByteBuffer.wrap(bytes));
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw new NotUtf8();
                }
                body = bytes;
            }
            return body;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(body());
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(jakarta.servlet.ReadListener listener) {
                    throw new IllegalStateException("the API reads request bodies synchronously");
                }
            };
        }

        @Override
        public java.io.BufferedReader getReader() throws IOException {
            return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}
