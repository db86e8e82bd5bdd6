package dev.tokenkeeper.app.gateway;

import dev.tokenkeeper.pricing.ModelPrice;
import dev.tokenkeeper.pricing.Money;
import dev.tokenkeeper.pricing.PricingCatalog;
import dev.tokenkeeper.pricing.Rates;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The pricing catalog of the app: the bundled one, plus the price of the demo model. */
@Configuration(proxyBeanMethods = false)
public class GatewayConfiguration {
    /**
     * The demo model's price: made up, so that its calls have a cost to count, budget and chart. USD
     * per million tokens, like every price.
     */
    static final ModelPrice DEMO_PRICE = new ModelPrice(
            "demo",
            "demo",
            Instant.EPOCH,
            new Rates(Money.of("1"), Money.of("0.1"), Money.of("1.25"), Money.of("4")),
            null,
            "TokenKeeper's demo model: an invented price, nobody is billed",
            LocalDate.of(2026, 12, 3));

    @Bean
    PricingCatalog pricingCatalog() {
        return PricingCatalog.bundled().withOverrides(List.of(DEMO_PRICE));
    }
}
