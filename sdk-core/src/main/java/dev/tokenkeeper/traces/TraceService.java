package dev.tokenkeeper.traces;

import dev.tokenkeeper.Page;
import java.io.IOException;
import java.io.Writer;
import java.time.Instant;
import java.util.Optional;

/**
 * Reads the traces of recorded calls. Obtain it from {@code keeper.traces()}; thread-safe.
 */
public interface TraceService {
    /** One page of a tenant's traces, newest first. */
    Page<Trace> list(TraceQuery query);

    /** One trace of the tenant. */
    Optional<Trace> find(String tenantId, String traceId);

    /**
     * Writes every trace matching {@code query} (its limit is the page size used internally) as CSV
     * to {@code out}: RFC 4180 (comma-separated, CRLF line ends, fields with a comma, quote, CR or LF
     * quoted with inner quotes doubled), a header line first, and text cells that a spreadsheet
     * would run as a formula (starting with {@code = + - @}, tab, NUL, CR, LF or a full-width
     * {@code ＝ ＋ － ＠}) prefixed with {@code '}.
     * Streams page by page; memory does not grow with the number of traces.
     *
     * @return the number of traces written
     */
    long exportCsv(TraceQuery query, Writer out) throws IOException;

    /** Removes every trace (raw usage event) older than {@code cutoff}, of all tenants; roll-ups stay. */
    long purgeBefore(Instant cutoff);
}
