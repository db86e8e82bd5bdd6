package dev.tokenkeeper.app;

import org.junit.jupiter.api.DisplayName;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

// closed after the class, while its PostgreSQL still runs
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@DisplayName("the dashboard, in a real browser, on PostgreSQL")
class DashboardPostgresTest extends DashboardTest {
    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        OnPostgres.storage(r, "dashboard");
    }

    @Override
    String backend() {
        return "postgresql";
    }
}
