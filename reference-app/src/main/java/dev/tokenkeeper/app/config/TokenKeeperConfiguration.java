package dev.tokenkeeper.app.config;

import dev.tokenkeeper.TokenKeeper;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Builds the one {@link TokenKeeper} of the app; Spring closes it on shutdown, which flushes it. */
@Configuration(proxyBeanMethods = false)
public class TokenKeeperConfiguration {
    @Bean(destroyMethod = "close")
    TokenKeeper tokenKeeper(AppProperties props) {
        TokenKeeper.Builder b = TokenKeeper.builder().tokenSyncInterval(props.tokenSyncInterval());
        if (props.storage().jdbcUrl() != null && !props.storage().jdbcUrl().isBlank()) {
            b.jdbcUrl(props.storage().jdbcUrl(), props.storage().username(), props.storage().password());
        } else {
            b.sqliteFile(props.storage().sqliteFile());
        }
        if (props.priceFile() != null) {
            b.priceFile(props.priceFile());
        }
        return b.build();
    }
}
