package dev.tokenkeeper.spring;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenKeeperListener;
import dev.tokenkeeper.limits.LimitAlertListener;
import dev.tokenkeeper.limits.RateLimitBackend;
import dev.tokenkeeper.pricing.PricingCatalog;
import dev.tokenkeeper.servlet.ErrorFormat;
import dev.tokenkeeper.servlet.TokenKeeperFilter;
import java.time.Clock;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One {@link TokenKeeper} for the application, built from {@code tokenkeeper.*} properties, unless
 * the application defines its own. Spring closes it on shutdown, which flushes the ledger. Beans of
 * type {@link TokenKeeperListener} observe its decisions and usage; beans of type
 * {@link LimitAlertListener} receive limit alerts.
 */
@AutoConfiguration
@ConditionalOnClass(TokenKeeper.class)
@EnableConfigurationProperties(TokenKeeperProperties.class)
public class TokenKeeperAutoConfiguration {
    /**
     * The name of an optional {@link Clock} bean that the keeper reads time from instead of the
     * system clock: a test's controllable clock, typically. Only a bean of this name is taken, so
     * that a {@code Clock} the application defines for its own purposes never changes the keeper's.
     */
    public static final String CLOCK_BEAN = "tokenKeeperClock";

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    TokenKeeper tokenKeeper(
            TokenKeeperProperties props,
            ObjectProvider<DataSource> dataSource,
            ObjectProvider<LimitAlertListener> alertListeners,
            ObjectProvider<TokenKeeperListener> listeners,
            @Qualifier(CLOCK_BEAN) ObjectProvider<Clock> clock,
            ObjectProvider<PricingCatalog> catalog) {
        TokenKeeper.Builder b = TokenKeeper.builder().shutdownHook(false); // Spring closes it
        clock.ifAvailable(b::clock);
        b.backgroundMaintenance(props.backgroundMaintenance());
        catalog.ifAvailable(b::pricingCatalog);
        TokenKeeperProperties.Storage s = props.storage();
        if (s.useApplicationDataSource()) {
            b.dataSource(dataSource.getObject());
        } else if (s.jdbcUrl() != null && !s.jdbcUrl().isBlank()) {
            b.jdbcUrl(s.jdbcUrl(), s.username(), s.password());
        } else {
            b.sqliteFile(s.sqliteFile());
        }
        if (props.tokenSyncInterval() != null) {
            b.tokenSyncInterval(props.tokenSyncInterval());
        }
        if (props.priceFile() != null) {
            b.priceFile(props.priceFile());
        }
        if (props.unknownPricePolicy() != null) {
            b.unknownPricePolicy(props.unknownPricePolicy());
        }
        if (props.sharedBudgets() != null) {
            b.sharedBudgets(props.sharedBudgets());
        }
        if (props.storageFailurePolicy() != null) {
            b.storageFailurePolicy(props.storageFailurePolicy());
        }
        if (props.permitTimeout() != null) {
            b.permitTimeout(props.permitTimeout());
        }
        if (props.traceRetention() != null) {
            b.traceRetention(props.traceRetention());
        }
        TokenKeeperProperties.RateLimits r = props.rateLimits();
        b.rateLimitFailurePolicy(r.failurePolicy());
        switch (r.backend()) {
            case LOCAL -> b.rateLimitBackend(RateLimitBackend.local());
            case DATABASE -> b.rateLimitBackend(RateLimitBackend.database().timeout(r.timeout()));
            case REDIS -> {
                if (r.redisUri() == null || r.redisUri().isBlank()) {
                    throw new IllegalStateException("tokenkeeper.rate-limits.redis-uri is required with "
                            + "tokenkeeper.rate-limits.backend=redis");
                }
                b.rateLimitBackend(RateLimitBackend.redis(r.redisUri()).timeout(r.timeout()));
            }
        }
        TokenKeeperProperties.Ledger l = props.ledger();
        b.synchronousLedger(l.synchronous());
        if (l.queueCapacity() != null) {
            b.ledgerQueueCapacity(l.queueCapacity());
        }
        if (l.batchSize() != null) {
            b.ledgerBatchSize(l.batchSize());
        }
        if (l.flushInterval() != null) {
            b.ledgerFlushInterval(l.flushInterval());
        }
        if (l.overflowPolicy() != null) {
            b.ledgerOverflowPolicy(l.overflowPolicy());
        }
        if (l.maxLag() != null) {
            b.ledgerMaxLag(l.maxLag());
        }
        if (l.refusalTracesPerMinute() != null) {
            b.refusalTracesPerMinute(l.refusalTracesPerMinute());
        }
        alertListeners
                .orderedStream()
                .filter(a -> !(a instanceof TokenKeeperListener))
                .forEach(b::limitAlertListener);
        listeners.orderedStream().forEach(b::listener);
        return b.build();
    }

    /** The servlet filter, in a servlet web application, when {@code tokenkeeper.filter.enabled=true}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"jakarta.servlet.Filter", "dev.tokenkeeper.servlet.TokenKeeperFilter"})
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnProperty(prefix = "tokenkeeper.filter", name = "enabled", havingValue = "true")
    static class Filter {
        @Bean
        @ConditionalOnMissingBean(name = "tokenKeeperFilter")
        FilterRegistrationBean<TokenKeeperFilter> tokenKeeperFilter(TokenKeeper keeper, TokenKeeperProperties props) {
            TokenKeeperProperties.Filter f = props.filter();
            TokenKeeperFilter filter = TokenKeeperFilter.builder(keeper)
                    .realm(f.realm())
                    .requiredScope(f.requiredScope())
                    .queryParameter(f.queryParameter())
                    .errorFormat(ErrorFormat.valueOf(f.errorFormat().toUpperCase(java.util.Locale.ROOT)))
                    .excludePaths(f.excludePaths().toArray(String[]::new))
                    .build();
            FilterRegistrationBean<TokenKeeperFilter> registration = new FilterRegistrationBean<>(filter);
            registration.setName("tokenKeeperFilter");
            registration.setUrlPatterns(f.urlPatterns());
            registration.setOrder(f.order());
            return registration;
        }
    }

    /** Actuator health, when the application has it. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "tokenkeeperHealthIndicator")
        TokenKeeperHealthIndicator tokenkeeperHealthIndicator(TokenKeeper keeper) {
            return new TokenKeeperHealthIndicator(keeper);
        }
    }

    /** Micrometer meters, when the application has Micrometer. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        TokenKeeperMetrics tokenKeeperMetrics(TokenKeeper keeper) {
            return new TokenKeeperMetrics(keeper);
        }

        /** Decisions, token usage, durations, cost and alerts; a listener of the keeper. */
        @Bean
        @ConditionalOnMissingBean
        TokenKeeperCallMetrics tokenKeeperCallMetrics() {
            return new TokenKeeperCallMetrics();
        }
    }
}
