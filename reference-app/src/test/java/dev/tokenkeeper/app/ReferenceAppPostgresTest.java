package dev.tokenkeeper.app;

import org.junit.jupiter.api.DisplayName;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

// closed after the class, while its PostgreSQL still runs: at JVM exit no keeper is left writing to a
// server that the exit stops
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@DisplayName("the REST API end to end, on PostgreSQL")
class ReferenceAppPostgresTest extends ReferenceAppTest {
    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        OnPostgres.storage(r);
    }

    @Override
    String backend() {
        return "postgresql";
    }
}
