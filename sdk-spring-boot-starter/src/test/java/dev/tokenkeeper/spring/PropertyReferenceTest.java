package dev.tokenkeeper.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("property reference")
class PropertyReferenceTest {

    @Test
    @DisplayName("docs/configuration.md lists every tokenkeeper.* property of the generated metadata")
    void everyPropertyIsDocumented() throws IOException {
        JsonNode metadata;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated configuration metadata").isNotNull();
            metadata = new ObjectMapper().readTree(in);
        }
        List<String> names = new ArrayList<>();
        metadata.path("properties").forEach(p -> names.add(p.path("name").asText()));
        String doc = Files.readString(Path.of("../docs/configuration.md"));
        // each property has a row of its own: name, default, meaning
        assertThat(names)
                .hasSizeGreaterThan(20)
                .allSatisfy(name -> assertThat(doc)
                        .as("configuration.md")
                        .containsPattern(
                                "(?m)^\\| `" + java.util.regex.Pattern.quote(name) + "` \\| [^|]+ \\| [^|]+ \\|$"));
    }
}
