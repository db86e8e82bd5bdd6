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
 */
@ConfigurationProperties("tokenkeeper")
public record AppProperties(
        @DefaultValue("default") String defaultTenant,
        @DefaultValue("true") boolean bootstrapAdmin,
        @DefaultValue("64KB") DataSize maxBodySize) {}
