package dev.tokenkeeper.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The reference app runs on the versions that Spring Boot manages for the libraries TokenKeeper
 * shares with it, as any Boot application does: these are the versions its tests prove TokenKeeper
 * on, and the build's {@code boot.*.version} properties must follow Boot's BOM.
 */
@DisplayName("Spring Boot's managed versions")
class BootManagedVersionsTest {
    /** Boot's property name, the build's property, the artifact, and a class from its jar. */
    private static final Map<String, String[]> LIBRARIES = Map.of(
            "caffeine.version",
                    new String[] {"boot.caffeine.version", "caffeine", "com.github.benmanes.caffeine.cache.Caffeine"},
            "hikaricp.version",
                    new String[] {"boot.hikaricp.version", "HikariCP", "com.zaxxer.hikari.HikariDataSource"},
            "sqlite-jdbc.version", new String[] {"boot.sqlite-jdbc.version", "sqlite-jdbc", "org.sqlite.JDBC"},
            "jackson-2-bom.version",
                    new String[] {
                        "boot.jackson-2.version", "jackson-databind", "com.fasterxml.jackson.databind.ObjectMapper"
                    });

    @Test
    @DisplayName("are the versions on the reference app's class path, and the build names them as Boot's BOM does")
    void referenceAppRunsOnBootsVersions() throws Exception {
        String bom = Files.readString(Path.of(System.getProperty("spring-boot.dependencies.pom")));
        for (Map.Entry<String, String[]> e : LIBRARIES.entrySet()) {
            Matcher m = Pattern.compile("<" + Pattern.quote(e.getKey()) + ">([^<]+)<")
                    .matcher(bom);
            assertThat(m.find()).as("Boot's BOM manages %s", e.getKey()).isTrue();
            String build = System.getProperty(e.getValue()[0]);
            assertThat(build).as("the build's %s", e.getValue()[0]).isEqualTo(m.group(1));
            assertThat(jarOf(e.getValue()[2])).as(e.getValue()[1]).isEqualTo(e.getValue()[1] + "-" + build + ".jar");
        }
    }

    /** The name of the jar the class is loaded from: artifact-version.jar, as Maven lays it out. */
    private static String jarOf(String className) throws Exception {
        Class<?> c = Class.forName(className);
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getFileName()
                .toString();
    }
}
