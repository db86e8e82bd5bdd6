package dev.tokenkeeper.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tests' only log appender (see {@code logback-test.xml}): it keeps the lines of the running
 * test in memory instead of printing them, so that a test which provokes warnings on purpose asserts
 * them instead of filling the build's output, and {@link LogOnFailure} prints them only for a test
 * that failed. Keeps the newest {@value #MAX_LINES} lines.
 */
public final class CapturedLog extends AppenderBase<ILoggingEvent> {
    static final int MAX_LINES = 20_000;
    private static final ConcurrentLinkedDeque<String> LINES = new ConcurrentLinkedDeque<>();
    private static final AtomicInteger SIZE = new AtomicInteger();

    /** The lines logged since the running test started: {@code [thread] LEVEL logger - message}. */
    public static List<String> lines() {
        return new ArrayList<>(LINES);
    }

    /** The lines of that level logged since the running test started. */
    public static List<String> lines(String level) {
        return lines().stream().filter(l -> l.contains("] " + level + " ")).toList();
    }

    /** Forgets the lines so far. */
    public static void clear() {
        LINES.clear();
        SIZE.set(0);
    }

    @Override
    protected void append(ILoggingEvent e) {
        StringBuilder line = new StringBuilder()
                .append('[')
                .append(e.getThreadName())
                .append("] ")
                .append(e.getLevel())
                .append(' ')
                .append(e.getLoggerName())
                .append(" - ")
                .append(e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
        }
        LINES.addLast(line.toString());
        if (SIZE.incrementAndGet() > MAX_LINES && LINES.pollFirst() != null) {
            SIZE.decrementAndGet();
        }
    }
}
