package dev.tokenkeeper.app;

import org.junit.jupiter.api.DisplayName;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

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
