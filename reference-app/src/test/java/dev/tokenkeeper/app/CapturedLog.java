package dev.tokenkeeper.app;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * One class's log lines, kept from the console while a test provokes them on purpose (so that a real
 * failure stays the first thing one reads) and held for the test to assert on.
 */
public final class CapturedLog implements AutoCloseable {
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger;

    public CapturedLog(Class<?> source) {
        this.logger = (Logger) LoggerFactory.getLogger(source);
        lines.start();
        logger.addAppender(lines);
        logger.setAdditive(false);
    }

    /** The lines logged so far, in order. */
    public List<ILoggingEvent> events() {
        return List.copyOf(lines.list);
    }

    /** Their messages, formatted. */
    public List<String> messages() {
        return events().stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Override
    public void close() {
        logger.setAdditive(true);
        logger.detachAppender(lines);
    }
}
