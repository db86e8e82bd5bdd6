package dev.tokenkeeper.internal;

import dev.tokenkeeper.Page;
import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.storage.UsageRow;
import dev.tokenkeeper.internal.util.Checks;
import dev.tokenkeeper.internal.util.Cursors;
import dev.tokenkeeper.internal.util.Json;
import dev.tokenkeeper.pricing.Cost;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.TokenCounts;
import dev.tokenkeeper.tenancy.Tenant;
import dev.tokenkeeper.traces.Trace;
import dev.tokenkeeper.traces.TraceQuery;
import dev.tokenkeeper.traces.TraceService;
import dev.tokenkeeper.usage.CallOutcome;
import dev.tokenkeeper.usage.UsageSource;
import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

public final class DefaultTraceService implements TraceService {
    static final int PURGE_CHUNK = 10_000;
    private static final String[] HEADER = {
        "id",
        "at",
        "request_id",
        "token_id",
        "user_id",
        "project_id",
        "provider",
        "model",
        "outcome",
        "usage_source",
        "input_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cost_usd",
        "price_missing",
        "latency_ms",
        "error_message"
    };

    private final Storage storage;

    public DefaultTraceService(Storage storage) {
        this.storage = storage;
    }

    @Override
    public Page<Trace> list(TraceQuery q) {
        // The cursor is the last id shown: ids are unique within the tenant and ordered by time.
        @Nullable String beforeId = q.cursor() == null ? null : Cursors.decode(q.cursor(), 1)[0];
        List<UsageRow> rows = storage.read(tx -> storage.usage().traces(tx, q, beforeId, q.limit() + 1));
        boolean more = rows.size() > q.limit();
        List<UsageRow> page = more ? rows.subList(0, q.limit()) : rows;
        String next = null;
        if (more) {
            UsageRow last = page.get(page.size() - 1);
            next = Cursors.encode(last.id());
        }
        return new Page<>(page.stream().map(DefaultTraceService::toTrace).toList(), next);
    }

    @Override
    public Optional<Trace> find(String tenantId, String traceId) {
        Checks.tenantId("tenant", tenantId);
        Checks.identifier("traceId", traceId);
        return storage.read(tx -> storage.usage().trace(tx, tenantId, traceId)).map(DefaultTraceService::toTrace);
    }

    @Override
    public long exportCsv(TraceQuery query, Writer out) throws IOException {
        writeRow(out, HEADER);
        long written = 0;
        TraceQuery q = query;
        while (true) {
            Page<Trace> page = list(q);
            for (Trace t : page.items()) {
                TokenCounts c = t.counts();
                writeRow(out, new String[] {
                    t.id(),
                    t.at().toString(),
                    t.requestId(),
                    t.tokenId(),
                    t.userId(),
                    t.projectId(),
                    t.provider(),
                    t.model(),
                    t.outcome().name(),
                    t.source().name(),
                    Long.toString(c.input()),
                    Long.toString(c.cachedInput()),
                    Long.toString(c.cacheWrite()),
                    Long.toString(c.output()),
                    Long.toString(c.reasoning()),
                    t.cost().total().toString(),
                    Boolean.toString(t.cost().priceMissing()),
                    Long.toString(t.latency().toMillis()),
                    t.errorMessage()
                });
                written++;
            }
            if (!page.hasNext()) {
                return written;
            }
            q = q.withCursor(page.nextCursor());
        }
    }

    /**
     * The first characters that make a spreadsheet read a cell as a formula, or can hide one: OWASP
     * ASVS 5.0, requirement 1.2.10, lists {@code = + - @}, tab and NUL; CR and LF (a cell that starts
     * with a line break, then a formula) are added here, and so are the full-width forms
     * {@code ＝ ＋ － ＠} (U+FF1D, U+FF0B, U+FF0D, U+FF20), which spreadsheets with East Asian input
     * settings may take for their ASCII forms. A quote in front of a harmless cell costs nothing.
     */
    private static final String FORMULA_START = "=+-@\t\0\r\n\uFF1D\uFF0B\uFF0D\uFF20";

    /** One CSV record, RFC 4180, with formula-looking text cells neutralised. */
    static void writeRow(Writer out, @Nullable String[] cells) throws IOException {
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                out.write(',');
            }
            out.write(csvCell(cells[i]));
        }
        out.write("\r\n");
    }

    static String csvCell(@Nullable String value) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        String v = value;
        if (FORMULA_START.indexOf(v.charAt(0)) >= 0) {
            v = "'" + v; // the quote makes the cell text, not a formula
        }
        boolean quote = false;
        for (int i = 0; i < v.length() && !quote; i++) {
            char c = v.charAt(i);
            quote = c == ',' || c == '"' || c == '\r' || c == '\n';
        }
        return quote ? '"' + v.replace("\"", "\"\"") + '"' : v;
    }

    @Override
    public long purgeBefore(Instant cutoff) {
        long removed = 0;
        List<String> tenants = storage.read(tx -> storage.tenants().list(tx)).stream()
                .map(Tenant::id)
                .toList();
        for (String tenant : tenants) {
            int n;
            do {
                n = storage.write(tx -> storage.usage().purgeBefore(tx, tenant, cutoff.toEpochMilli(), PURGE_CHUNK));
                removed += n;
            } while (n == PURGE_CHUNK);
        }
        return removed;
    }

    static Trace toTrace(UsageRow r) {
        Cost cost = new Cost(
                new Cost.Split(
                        Money.ofPicos(r.costInputPico()),
                        Money.ofPicos(r.costCachedInputPico()),
                        Money.ofPicos(r.costCacheWritePico()),
                        Money.ofPicos(r.costOutputPico()),
                        Money.ofPicos(r.costReasoningPico())),
                null,
                r.priceMissing());
        return new Trace(
                r.id(),
                r.tenantId(),
                r.requestId(),
                Instant.ofEpochMilli(r.at()),
                r.tokenId(),
                r.userId(),
                r.projectId(),
                r.provider(),
                r.model(),
                new TokenCounts(
                        r.inputTokens(),
                        r.cachedInputTokens(),
                        r.cacheWriteTokens(),
                        r.outputTokens(),
                        r.reasoningTokens()),
                cost,
                Duration.ofMillis(r.latencyMs()),
                CallOutcome.valueOf(r.outcome()),
                UsageSource.valueOf(r.usageSource()),
                r.errorMessage(),
                Json.readMap(r.metadataJson()));
    }
}
