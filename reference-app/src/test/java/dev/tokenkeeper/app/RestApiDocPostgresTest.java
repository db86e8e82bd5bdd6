package dev.tokenkeeper.app;

import org.junit.jupiter.api.DisplayName;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

// closed after the class, while its PostgreSQL still runs: at JVM exit no keeper is left writing to a
// server that the exit stops
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@DisplayName("docs/rest-api.md and the app, on PostgreSQL")
class RestApiDocPostgresTest extends RestApiDocTest {
    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        OnPostgres.storage(r);
    }
}
