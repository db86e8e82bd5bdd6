package dev.tokenkeeper.app;

import org.junit.jupiter.api.DisplayName;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

// closed after the class, while its PostgreSQL still runs
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@DisplayName("the gateway: OpenAI and Anthropic surfaces, enforced and recorded, on PostgreSQL")
class GatewayPostgresTest extends GatewayTest {
    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        OnPostgres.storage(r, "gateway");
    }

    @Override
    String backend() {
        return "postgresql";
    }
}
