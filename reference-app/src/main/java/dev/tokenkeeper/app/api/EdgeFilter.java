package dev.tokenkeeper.app.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
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
 * input is never sniffed as HTML; no framing; no referrer), and a refusal of cross-origin preflight
 * requests as a problem document — the API serves no other origin.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class EdgeFilter extends OncePerRequestFilter {
    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Content-Security-Policy", "frame-ancestors 'none'");
        response.setHeader("Referrer-Policy", "no-referrer");
        if ("OPTIONS".equals(request.getMethod()) && request.getHeader("Origin") != null
                && request.getHeader("Access-Control-Request-Method") != null) {
            response.setStatus(403);
            response.setContentType("application/problem+json");
            response.getOutputStream().write(("{\"type\":\"urn:tokenkeeper:problem:cors-not-allowed\","
                    + "\"title\":\"Forbidden\",\"status\":403,"
                    + "\"detail\":\"cross-origin requests are not allowed: the API serves its own origin only\","
                    + "\"code\":\"cors_not_allowed\"}").getBytes(StandardCharsets.UTF_8));
            return;
        }
        chain.doFilter(request, response);
    }
}
