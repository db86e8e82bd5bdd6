package dev.tokenkeeper.app.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The reference app's own {@code tokenkeeper.*} settings. The TokenKeeper itself (storage, sync,
 * prices, ledger, budgets) is configured by the Spring Boot starter's properties under the same
 * prefix.
 *
 * @param defaultTenant the tenant created at first start, to which the bootstrap admin belongs; its
 *     admins are the operator's, who may change deployment-wide settings such as prices
 * @param bootstrapAdmin whether to issue an admin token at first start when the default tenant has
 *     no active admin token
 * @param maxBodySize the largest request body the control API reads; a larger one is refused with
 *     413 before it is read
 * @param apiRateLimit how many control-API requests each caller (API token) may make per period
 */
@ConfigurationProperties("tokenkeeper")
public record AppProperties(
        @DefaultValue("default") String defaultTenant,
        @DefaultValue("true") boolean bootstrapAdmin,
        @DefaultValue("64KB") DataSize maxBodySize,
        @DefaultValue ApiRateLimit apiRateLimit) {

    /**
     * The control API's rate limit per caller ({@code tokenkeeper.api-rate-limit.*}).
     *
     * @param requests requests per period and caller; then 429 with {@code Retry-After}
     * @param period the period, refilled whole at its end
     */
    public record ApiRateLimit(
            @DefaultValue("600") int requests,
            @DefaultValue("1m") java.time.Duration period) {
        public ApiRateLimit {
            if (requests < 1) {
                throw new IllegalArgumentException("tokenkeeper.api-rate-limit.requests must be >= 1, was " + requests);
            }
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("tokenkeeper.api-rate-limit.period must be positive, was " + period);
            }
        }
    }
}
