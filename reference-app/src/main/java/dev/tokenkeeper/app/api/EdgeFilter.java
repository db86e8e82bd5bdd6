package dev.tokenkeeper.app.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import dev.tokenkeeper.app.config.AppProperties;
import jakarta.servlet.ServletInputStream;
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
 * body without a declared length stops being read at the cap (and is a 413 too).
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
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Content-Security-Policy", "frame-ancestors 'none'");
        response.setHeader("Referrer-Policy", "no-referrer");
        if ("OPTIONS".equals(request.getMethod()) && request.getHeader("Origin") != null
                && request.getHeader("Access-Control-Request-Method") != null) {
            problem(response, 403, "Forbidden", "cors_not_allowed",
                    "cross-origin requests are not allowed: the API serves its own origin only");
            return;
        }
        if (request.getContentLengthLong() > maxBody) {
            response.setHeader("Connection", "close"); // the body is not read
            problem(response, 413, "Content Too Large", "payload_too_large",
                    "the request body may be at most " + maxBody + " bytes");
            return;
        }
        chain.doFilter(new CappedBody(request, maxBody), response);
    }

    static void problem(HttpServletResponse response, int status, String title, String code, String detail)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.getOutputStream().write(("{\"type\":\"urn:tokenkeeper:problem:" + code.replace('_', '-')
                + "\",\"title\":\"" + title + "\",\"status\":" + status + ",\"detail\":\"" + detail
                + "\",\"code\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    /** The request, with a body stream that stops at the cap. */
    private static final class CappedBody extends jakarta.servlet.http.HttpServletRequestWrapper {
        private final long max;
        private @org.jspecify.annotations.Nullable ServletInputStream in;

        CappedBody(HttpServletRequest request, long max) {
            super(request);
            this.max = max;
        }

        @Override
        public jakarta.servlet.ServletInputStream getInputStream() throws IOException {
            if (in == null) {
                jakarta.servlet.ServletInputStream body = super.getInputStream();
                in = new jakarta.servlet.ServletInputStream() {
                    private long read;

                    @Override
                    public int read() throws IOException {
                        int b = body.read();
                        if (b >= 0) {
                            count(1);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buf, int off, int len) throws IOException {
                        int n = body.read(buf, off, len);
                        if (n > 0) {
                            count(n);
                        }
                        return n;
                    }

                    private void count(int n) throws IOException {
                        read += n;
                        if (read > max) {
                            throw new BodyTooLarge(max);
                        }
                    }

                    @Override
                    public boolean isFinished() {
                        return body.isFinished();
                    }

                    @Override
                    public boolean isReady() {
                        return body.isReady();
                    }

                    @Override
                    public void setReadListener(jakarta.servlet.ReadListener listener) {
                        body.setReadListener(listener);
                    }
                };
            }
            return in;
        }

        @Override
        public java.io.BufferedReader getReader() throws IOException {
            return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(),
                    getCharacterEncoding() == null ? "UTF-8" : getCharacterEncoding()));
        }
    }
}
