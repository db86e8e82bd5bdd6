package dev.tokenkeeper.app.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.List;
import java.util.Set;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.providers.ObjectMapperProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI 3.1 description served at {@code /v3/api-docs} (Swagger UI at {@code /swagger-ui}):
 * the two ways to authenticate, the snake_case names the API really uses, and the problem
 * documents every operation may answer.
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiConfiguration {
    static final String SESSION = "session";
    static final String API_TOKEN = "apiToken";
    /** The operations that need no bearer token. */
    static final Set<String> PUBLIC = Set.of("/api/v1/health", "/api/v1/auth/login", "/api/v1/auth/refresh");
    /** Called with any TokenKeeper API token, agents' included. */
    static final String INFERENCE = "/api/v1/inference";

    /** Schemas with the property names the API reads and writes: snake_case, as its Jackson does. */
    @Bean
    ModelResolver snakeCaseModels(ObjectMapperProvider provider) {
        return new ModelResolver(
                        provider.jsonMapper().copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE))
                .openapi31(provider.isOpenapi31());
    }

    @Bean
    OpenApiCustomizer tokenKeeperApi() {
        return api -> {
            api.info(new Info()
                    .title("TokenKeeper reference app")
                    .version("v1")
                    .description("Tokens, usage, traces, limits, prices, users and tenants. Log in with POST"
                            + " /api/v1/auth/login for an access token, or use an API token; see docs/rest-api.md."));
            Components c = api.getComponents() == null ? new Components() : api.getComponents();
            c.addSecuritySchemes(
                    SESSION,
                    new SecurityScheme()
                            .type(SecurityScheme.Type.HTTP)
                            .scheme("bearer")
                            .bearerFormat("JWT")
                            .description("An access token from POST /api/v1/auth/login or /api/v1/auth/refresh"));
            c.addSecuritySchemes(
                    API_TOKEN,
                    new SecurityScheme()
                            .type(SecurityScheme.Type.HTTP)
                            .scheme("bearer")
                            .description("A TokenKeeper API token (tk_...) of role admin or user"));
            Schema<Object> problem = new Schema<>();
            problem.type("object").description("An RFC 9457 problem document");
            for (String name : List.of("type", "title", "detail", "instance", "code")) {
                problem.addProperty(name, new Schema<String>().type("string"));
            }
            problem.addProperty("status", new Schema<Integer>().type("integer"));
            c.addSchemas("Problem", problem);
            api.components(c);
            if (api.getPaths() == null) {
                return;
            }
            api.getPaths()
                    .forEach((path, item) -> item.readOperations().forEach(op -> {
                        if (PUBLIC.contains(path)) {
                            op.setSecurity(List.of());
                        } else {
                            op.setSecurity(List.of(
                                    new SecurityRequirement().addList(SESSION),
                                    new SecurityRequirement().addList(API_TOKEN)));
                            problem(op, "401", "No valid bearer token");
                            problem(op, "403", "The caller's role may not do this");
                            problem(op, "429", "Too many requests; see Retry-After");
                        }
                        problem(op, "400", "Bad input; the detail names the field");
                    }));
        };
    }

    private static void problem(io.swagger.v3.oas.models.Operation op, String status, String description) {
        if (op.getResponses() != null && !op.getResponses().containsKey(status)) {
            op.getResponses()
                    .addApiResponse(
                            status,
                            new ApiResponse()
                                    .description(description)
                                    .content(new Content()
                                            .addMediaType(
                                                    "application/problem+json",
                                                    new MediaType()
                                                            .schema(new Schema<>()
                                                                    .$ref("#/components/schemas/Problem")))));
        }
    }
}
