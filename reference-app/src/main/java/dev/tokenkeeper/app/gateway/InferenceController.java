package dev.tokenkeeper.app.gateway;

import dev.tokenkeeper.app.api.ApiException;
import dev.tokenkeeper.servlet.Credentials;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /api/v1/inference}: one LLM call in a provider-neutral shape, for clients that want no
 * provider SDK. Any TokenKeeper API token may call it, agents' included; errors are problem
 * documents, like the rest of {@code /api/v1}.
 */
@RestController
public class InferenceController {
    private final Gateway gateway;

    public InferenceController(Gateway gateway) {
        this.gateway = gateway;
    }

    record InferenceResponse(
            String id, String provider, String model, String content, UsageView usage, String costUsd) {}

    record UsageView(
            long inputTokens, long cachedInputTokens, long cacheWriteTokens, long outputTokens, long reasoningTokens) {}

    @PostMapping("/api/v1/inference")
    org.springframework.http.ResponseEntity<InferenceResponse> infer(
            @RequestBody JsonNode body, HttpServletRequest request) {
        String secret = Credentials.read(request, null) instanceof Credentials.Result.Present p ? p.secret() : null;
        try {
            Gateway.Inference i = gateway.infer(secret, body, request.getRemoteAddr());
            var c = i.counts();
            HttpHeaders headers = new HttpHeaders();
            i.headers().forEach(headers::set);
            return org.springframework.http.ResponseEntity.ok()
                    .headers(headers)
                    .body(new InferenceResponse(
                            i.requestId(),
                            i.provider(),
                            i.model(),
                            i.content(),
                            new UsageView(c.input(), c.cachedInput(), c.cacheWrite(), c.output(), c.reasoning()),
                            i.costUsd()));
        } catch (Gateway.Refusal r) {
            HttpHeaders h = new HttpHeaders();
            r.headers.forEach(h::set);
            if (r.status == 401) {
                h.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"tokenkeeper\", error=\"invalid_token\"");
            }
            throw new ApiException(HttpStatus.valueOf(r.status), r.code, String.valueOf(r.getMessage()), h);
        }
    }
}
