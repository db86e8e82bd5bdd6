package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThreadFactoryTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("on SQLite, every background thread comes from the builder's thread factory, named after its job")
    void backgroundThreadsComeFromTheFactory() {
        List<Thread> made = new CopyOnWriteArrayList<>();
        TokenKeeper keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("threads.db"))
                .shutdownHook(false)
                .threadFactory(r -> {
                    Thread t = new Thread(r);
                    t.setDaemon(true);
                    made.add(t);
                    return t;
                })
                .build();
        try {
            assertThat(made)
                    .extracting(Thread::getName)
                    .contains(
                            "tokenkeeper-ledger-writer",
                            "tokenkeeper-token-feed",
                            "tokenkeeper-limits-feed",
                            "tokenkeeper-maintenance",
                            "tokenkeeper-sqlite-checkpoint");
        } finally {
            keeper.close();
        }
    }
}
