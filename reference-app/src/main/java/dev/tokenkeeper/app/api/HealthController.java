package dev.tokenkeeper.app.api;

import dev.tokenkeeper.StorageHealth;
import dev.tokenkeeper.TokenKeeper;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/health}: 200 when storage answers, 503 when it does not. Without credentials it
 * says only that; to an admin token it also tells the storage's backend, schema version, latency
 * and error, which a stranger has no business knowing.
 */
@RestController
public class HealthController {
    private final TokenKeeper keeper;
    private final ApiAuth auth;

    public HealthController(TokenKeeper keeper, ApiAuth auth) {
        this.keeper = keeper;
        this.auth = auth;
    }

    @GetMapping("/api/v1/health")
    ResponseEntity<Map<String, Object>> health(HttpServletRequest request) {
        StorageHealth h = keeper.storageHealth();
        HttpStatus status = h.up() ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE;
        if (!admin(request)) {
            return ResponseEntity.status(status).body(Map.of("status", h.up() ? "UP" : "DOWN"));
        }
        Map<String, Object> storage = new LinkedHashMap<>();
        storage.put("status", h.up() ? "UP" : "DOWN");
        storage.put("backend", h.backend().id());
        storage.put("schema_version", h.schemaVersion());
        storage.put("latency_ms", h.latency().toNanos() / 1_000_000.0);
        if (h.error() != null) {
            storage.put("error", h.error());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", h.up() ? "UP" : "DOWN");
        body.put("storage", storage);
        return ResponseEntity.status(status).body(body);
    }

    private boolean admin(HttpServletRequest request) {
        return auth.peek(request).filter(Caller::admin).isPresent();
    }
}
