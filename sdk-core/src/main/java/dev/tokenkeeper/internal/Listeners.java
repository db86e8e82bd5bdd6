package dev.tokenkeeper.internal;

import dev.tokenkeeper.TokenKeeperListener;
import dev.tokenkeeper.admission.Admission;
import dev.tokenkeeper.admission.CallRequest;
import dev.tokenkeeper.admission.RequestAdmission;
import dev.tokenkeeper.usage.RecordedUsage;
import dev.tokenkeeper.usage.UsageEvent;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The registered {@link TokenKeeperListener}s; a listener that throws is logged and skipped. */
public final class Listeners {
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);
    private final TokenKeeperListener[] all;

    public Listeners(List<TokenKeeperListener> listeners) {
        this.all = listeners.toArray(TokenKeeperListener[]::new);
    }

    public boolean isEmpty() {
        return all.length == 0;
    }

    public void authorized(CallRequest call, Admission admission) {
        for (TokenKeeperListener l : all) {
            try {
                l.onAuthorize(call, admission);
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    public void requestChecked(RequestAdmission admission) {
        for (TokenKeeperListener l : all) {
            try {
                l.onRequestCheck(admission);
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    public void recorded(UsageEvent event, RecordedUsage recorded) {
        for (TokenKeeperListener l : all) {
            try {
                l.onUsage(event, recorded);
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    private static void failed(TokenKeeperListener l, RuntimeException e) {
        LOG.warn("TokenKeeper listener {} failed: {}", l.getClass().getName(), e.toString());
    }
}
