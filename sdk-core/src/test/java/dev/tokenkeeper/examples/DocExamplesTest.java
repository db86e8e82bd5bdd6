package dev.tokenkeeper.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The examples in {@code README.md} and {@code docs/} are the files that the build compiles and the tests run: each
 * {@code <!-- example: path -->} marker is followed by a code block equal to that file.
 */
@DisplayName("documentation examples")
class DocExamplesTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern MARKER = Pattern.compile("<!-- example: (\\S+) -->\\s*\\n```[a-z]*\\n(.*?)```",
            Pattern.DOTALL);

    @Test
    @DisplayName("every example in the docs is the same text as the compiled, tested file it names")
    void examplesMatchTheirFiles() throws IOException {
        List<String> checked = new ArrayList<>();
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        for (Path doc : pages) {
            Matcher m = MARKER.matcher(Files.readString(doc));
            while (m.find()) {
                Path file = ROOT.resolve(m.group(1));
                assertThat(file).as("%s names %s", doc.getFileName(), m.group(1)).isRegularFile();
                assertThat(m.group(2)).as("the example of %s in %s", m.group(1), doc.getFileName())
                        .isEqualTo(Files.readString(file));
                checked.add(m.group(1));
            }
        }
        assertThat(checked).as("examples in the docs").contains(
                "sdk-core/src/test/java/dev/tokenkeeper/examples/quickstart/QuickStart.java",
                "sdk-core/src/test/java/dev/tokenkeeper/examples/plain/BudgetedAgent.java",
                "sdk-servlet/src/test/java/dev/tokenkeeper/examples/servlet/ChatApp.java",
                "sdk-servlet/src/test/java/dev/tokenkeeper/examples/servlet/ChatServlet.java",
                "sdk-spring-boot-starter/src/test/java/dev/tokenkeeper/examples/springboot/ChatApplication.java",
                "sdk-spring-boot-starter/src/test/resources/chat-example.properties",
                "sdk-langchain4j/src/test/java/dev/tokenkeeper/examples/aiservice/SupportAssistant.java");
    }
}
