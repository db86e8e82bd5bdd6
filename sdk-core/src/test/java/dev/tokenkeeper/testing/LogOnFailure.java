package dev.tokenkeeper.testing;

import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Registered for every test (JUnit's extension auto-detection, set in {@code junit-platform.properties}):
 * starts each test with an empty {@link CapturedLog}, and prints what the test logged only when it
 * failed, so that a real failure is the first thing a reader of the build's output sees.
 */
public final class LogOnFailure implements BeforeEachCallback, AfterTestExecutionCallback {
    @Override
    public void beforeEach(ExtensionContext context) {
        CapturedLog.clear();
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            StringBuilder out = new StringBuilder("---- log of the failed test ")
                    .append(context.getDisplayName())
                    .append(" ----\n");
            CapturedLog.lines().forEach(l -> out.append(l).append('\n'));
            System.err.print(out.append("---- end of log ----\n"));
        }
    }
}
