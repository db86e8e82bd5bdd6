package dev.tokenkeeper.app.api;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.Page;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.traces.Trace;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.usage.CallOutcome;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Traces of the caller's tenant (a user's own only): list, one by id, CSV export. */
@RestController
@RequestMapping("/api/v1/traces")
public class TraceController {
    private final TokenKeeper keeper;
    private final Access access;
    private final AccessAudit audit;

    public TraceController(TokenKeeper keeper, Access access, AccessAudit audit) {
        this.keeper = keeper;
        this.access = access;
        this.audit = audit;
    }

    record TraceView(
            String id,
            String requestId,
            Instant at,
            @Nullable String tokenId,
            @Nullable String userId,
            @Nullable String projectId,
            String provider,
            String model,
            String status,
            String usageSource,
            long inputTokens,
            long cachedInputTokens,
            long cacheWriteTokens,
            long outputTokens,
            long reasoningTokens,
            String costUsd,
            boolean priceMissing,
            long latencyMs,
            @Nullable String errorMessage,
            Map<String, String> metadata) {
        static TraceView of(Trace t) {
            return new TraceView(
                    t.id(),
                    t.requestId(),
                    t.at(),
                    t.tokenId(),
                    t.userId(),
                    t.projectId(),
                    t.provider(),
                    t.model(),
                    t.outcome().name().toLowerCase(Locale.ROOT),
                    t.source().name().toLowerCase(Locale.ROOT),
                    t.counts().input(),
                    t.counts().cachedInput(),
                    t.counts().cacheWrite(),
                    t.counts().output(),
                    t.counts().reasoning(),
                    t.cost().total().toString(),
                    t.cost().priceMissing(),
                    t.latency().toMillis(),
                    t.errorMessage(),
                    t.metadata());
        }
    }

    record TracePage(List<TraceView> items, @Nullable String nextCursor) {}

    @GetMapping
    TracePage list(
            @RequestParam(name = "from", required = false) @Nullable String from,
            @RequestParam(name = "to", required = false) @Nullable String to,
            @RequestParam(name = "token_id", required = false) @Nullable String tokenId,
            @RequestParam(name = "user_id", required = false) @Nullable String userId,
            @RequestParam(name = "project_id", required = false) @Nullable String projectId,
            @RequestParam(name = "provider", required = false) @Nullable String provider,
            @RequestParam(name = "model", required = false) @Nullable String model,
            @RequestParam(name = "status", required = false) @Nullable String status,
            @RequestParam(name = "limit", defaultValue = "50") int limit,
            @RequestParam(name = "cursor", required = false) @Nullable String cursor,
            HttpServletRequest request) {
        Page<Trace> page = keeper.traces()
                .list(query(request, from, to, tokenId, userId, projectId, provider, model, status)
                        .limit(limit)
                        .cursor(cursor)
                        .build());
        return new TracePage(page.items().stream().map(TraceView::of).toList(), page.nextCursor());
    }

    @GetMapping("/{id}")
    TraceView get(@PathVariable String id, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        Trace trace = keeper.traces()
                .find(caller.tenantId(), id)
                .orElseThrow(() -> new NotFoundException(ErrorCode.TRACE_NOT_FOUND, "trace " + id + " does not exist"));
        if (!caller.admin() && !java.util.Objects.equals(trace.userId(), caller.userId())) {
            audit.otherUser(request, "trace", id);
            throw new NotFoundException(ErrorCode.TRACE_NOT_FOUND, "trace " + id + " does not exist");
        }
        return TraceView.of(trace);
    }

    /** Streams every matching trace as CSV (RFC 4180), page by page. */
    @GetMapping("/export.csv")
    void export(
            @RequestParam(name = "from", required = false) @Nullable String from,
            @RequestParam(name = "to", required = false) @Nullable String to,
            @RequestParam(name = "token_id", required = false) @Nullable String tokenId,
            @RequestParam(name = "user_id", required = false) @Nullable String userId,
            @RequestParam(name = "project_id", required = false) @Nullable String projectId,
            @RequestParam(name = "provider", required = false) @Nullable String provider,
            @RequestParam(name = "model", required = false) @Nullable String model,
            @RequestParam(name = "status", required = false) @Nullable String status,
            HttpServletRequest request,
            HttpServletResponse response)
            throws IOException {
        TraceQuery q = query(request, from, to, tokenId, userId, projectId, provider, model, status)
                .limit(1000)
                .build();
        response.setContentType("text/csv; charset=UTF-8; header=present");
        response.setHeader("Content-Disposition", "attachment; filename=\"traces.csv\"");
        Writer out = new OutputStreamWriter(response.getOutputStream(), StandardCharsets.UTF_8);
        keeper.traces().exportCsv(q, out);
        out.flush();
    }

    private TraceQuery.Builder query(
            HttpServletRequest request,
            @Nullable String from,
            @Nullable String to,
            @Nullable String tokenId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable String provider,
            @Nullable String model,
            @Nullable String status) {
        Caller caller = Caller.of(request);
        return TraceQuery.builder(caller.tenantId())
                .from(Params.instant("from", from))
                .to(Params.instant("to", to))
                .token(tokenId)
                .user(access.ownUser(caller, userId))
                .project(projectId)
                .provider(provider)
                .model(model)
                .outcome(outcome(status));
    }

    static @Nullable CallOutcome outcome(@Nullable String status) {
        if (status == null) {
            return null;
        }
        try {
            return CallOutcome.valueOf(status.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw TokenController.badRequest("status", "must be one of success, error, cancelled, denied");
        }
    }
}
