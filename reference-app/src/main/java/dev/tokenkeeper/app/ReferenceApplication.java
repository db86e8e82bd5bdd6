package dev.tokenkeeper.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The TokenKeeper reference gateway: REST API over the SDK, on the embedded SQLite default. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ReferenceApplication {
    public static void main(String[] args) {
        SpringApplication.run(ReferenceApplication.class, args);
    }
}
