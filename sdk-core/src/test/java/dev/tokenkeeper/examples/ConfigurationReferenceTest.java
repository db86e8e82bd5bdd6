package dev.tokenkeeper.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("configuration reference")
class ConfigurationReferenceTest {

    @Test
    @DisplayName("docs/configuration.md lists every setting of TokenKeeper.builder()")
    void everyBuilderSettingIsDocumented() throws IOException {
        String doc = Files.readString(Path.of("../docs/configuration.md"));
        List<String> settings = Arrays.stream(TokenKeeper.Builder.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && !m.getName().equals("build"))
                .map(Method::getName)
                .distinct()
                .sorted()
                .toList();
        assertThat(settings)
                .isNotEmpty()
                .allSatisfy(name -> assertThat(doc).as("configuration.md").contains("`" + name + "("));
    }
}
