package dev.tokenkeeper.app;

import org.junit.jupiter.api.DisplayName;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

@DisplayName("docs/rest-api.md and the app, on PostgreSQL")
class RestApiDocPostgresTest extends RestApiDocTest {
    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        OnPostgres.storage(r);
    }
}
