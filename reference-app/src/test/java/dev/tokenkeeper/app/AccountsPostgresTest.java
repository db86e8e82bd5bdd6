package dev.tokenkeeper.app;

import org.junit.jupiter.api.DisplayName;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

// closed after the class, while its PostgreSQL still runs
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@DisplayName("accounts: login, sessions, users and tenants over HTTP, on PostgreSQL")
class AccountsPostgresTest extends AccountsTest {
    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        OnPostgres.storage(r, "accounts");
    }

    @Override
    String backend() {
        return "postgresql";
    }
}
