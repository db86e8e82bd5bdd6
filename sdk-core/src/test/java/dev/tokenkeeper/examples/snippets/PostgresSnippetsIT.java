package dev.tokenkeeper.examples.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.EmbeddedPostgres;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.admission.StorageFailurePolicy;
import dev.tokenkeeper.limits.RateLimitBackend;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The snippets of {@code docs/} that need PostgreSQL, on the embedded server. */
@DisplayName("documentation snippets on PostgreSQL")
class PostgresSnippetsIT {

    @Test
    @DisplayName("limits: rate limits shared through the database")
    void sharedRateLimits() {
        try (HikariDataSource db = EmbeddedPostgres.freshDatabase()) {
            String url = db.getJdbcUrl();
            String user = null; // the embedded server's URL names its user
            String password = null;
            // tag::limits-shared-rates[]
            TokenKeeper keeper = TokenKeeper.builder()
                    .jdbcUrl(url, user, password)
                    .rateLimitBackend(RateLimitBackend.database()) // the same PostgreSQL: nothing new to run
                    // or .rateLimitBackend(RateLimitBackend.redis("redis://cache.internal:6379"))
                    .rateLimitFailurePolicy(StorageFailurePolicy.FAIL_OPEN) // the default
                    .build();
            // end::limits-shared-rates[]
            try (keeper) {
                assertThat(keeper.rateLimitHealth().backend()).isEqualTo("postgresql");
                assertThat(keeper.rateLimitHealth().up()).isTrue();
            }
        }
    }
}
