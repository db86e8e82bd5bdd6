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
 * The examples in {@code README.md} and {@code docs/} are code that the build compiles and the tests run: each
 * {@code <!-- example: path -->} marker is followed by a code block equal to that file, and each
 * {@code <!-- snippet: path#tag -->} marker by a code block equal to the region of that test file between the
 * lines {@code // tag::tag[]} and {@code // end::tag[]}, less its indentation. A Java block without a marker
 * fails the build.
 */
@DisplayName("documentation examples")
class DocExamplesTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern MARKER =
            Pattern.compile("<!-- example: (\\S+) -->\\s*\\n```[a-z]*\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern SNIPPET =
            Pattern.compile("<!-- snippet: ([^#\\s]+)#(\\S+) -->\\s*\\n```[a-z]*\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern JAVA_BLOCK = Pattern.compile("(<!-- (?:example|snippet): \\S+ -->\\s*\\n)?```java\\n");

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** The lines between {@code // tag::tag[]} and {@code // end::tag[]}, less their common indentation. */
    static String region(Path file, String tag) throws IOException {
        List<String> lines = Files.readAllLines(file);
        int start = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.equals("// tag::" + tag + "[]")) {
                assertThat(start).as("tag %s twice in %s", tag, file).isEqualTo(-1);
                start = i;
            } else if (l.equals("// end::" + tag + "[]")) {
                end = i;
            }
        }
        assertThat(start).as("tag %s in %s", tag, file).isNotNegative();
        assertThat(end).as("end of tag %s in %s", tag, file).isGreaterThan(start);
        List<String> body = lines.subList(start + 1, end);
        int indent = body.stream()
                .filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length())
                .min()
                .orElse(0);
        StringBuilder b = new StringBuilder();
        for (String l : body) {
            b.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return b.toString();
    }

    /**
     * With {@code -Ddocs.update=true} the docs are rewritten from the code instead of checked against it (after
     * {@code mvn spotless:apply} or an edit of an example): {@code mvn -pl sdk-core test -Dtest=DocExamplesTest
     * -Ddocs.update=true}.
     */
    private static final boolean UPDATE = Boolean.getBoolean("docs.update");

    /** Checks, or in update mode rewrites, the block after each marker of {@code pattern}; counts the markers. */
    private static int sync(Pattern pattern, int body, Source source, List<String> seen) throws IOException {
        int count = 0;
        for (Path doc : pages()) {
            String text = Files.readString(doc);
            Matcher m = pattern.matcher(text);
            StringBuilder updated = new StringBuilder();
            int last = 0;
            while (m.find()) {
                Path file = ROOT.resolve(m.group(1));
                assertThat(file)
                        .as("%s names %s", doc.getFileName(), m.group(1))
                        .isRegularFile();
                String expected = source.text(file, m);
                if (!UPDATE) {
                    assertThat(m.group(body))
                            .as(
                                    "the block of %s in %s",
                                    m.group(0).lines().findFirst().orElseThrow(), doc.getFileName())
                            .isEqualTo(expected);
                }
                updated.append(text, last, m.start(body)).append(expected);
                last = m.end(body);
                seen.add(m.group(1));
                count++;
            }
            updated.append(text.substring(last));
            if (UPDATE && !updated.toString().equals(text)) {
                Files.writeString(doc, updated.toString());
            }
        }
        return count;
    }

    @FunctionalInterface
    private interface Source {
        String text(Path file, Matcher marker) throws IOException;
    }

    @Test
    @DisplayName("every snippet in the docs is the same text as the tagged region of the test it names")
    void snippetsMatchTheirTests() throws IOException {
        int checked = sync(SNIPPET, 3, (file, m) -> region(file, m.group(2)), new ArrayList<>());
        assertThat(checked).as("snippets in the docs").isGreaterThanOrEqualTo(22);
    }

    @Test
    @DisplayName("no Java block in the docs goes uncompiled: each is an example or a snippet")
    void everyJavaBlockIsCompiled() throws IOException {
        List<String> bare = new ArrayList<>();
        for (Path doc : pages()) {
            String text = Files.readString(doc);
            Matcher m = JAVA_BLOCK.matcher(text);
            while (m.find()) {
                if (m.group(1) == null) {
                    bare.add(doc.getFileName() + ":"
                            + (text.substring(0, m.start()).split("\n", -1).length));
                }
            }
        }
        assertThat(bare).as("Java blocks without an example or snippet marker").isEmpty();
    }

    @Test
    @DisplayName("every example in the docs is the same text as the compiled, tested file it names")
    void examplesMatchTheirFiles() throws IOException {
        List<String> checked = new ArrayList<>();
        sync(MARKER, 2, (file, m) -> Files.readString(file), checked);
        assertThat(checked)
                .as("examples in the docs")
                .contains(
                        "sdk-core/src/test/java/dev/tokenkeeper/examples/quickstart/QuickStart.java",
                        "sdk-core/src/test/java/dev/tokenkeeper/examples/plain/BudgetedAgent.java",
                        "sdk-servlet/src/test/java/dev/tokenkeeper/examples/servlet/ChatApp.java",
                        "sdk-servlet/src/test/java/dev/tokenkeeper/examples/servlet/ChatServlet.java",
                        "sdk-spring-boot-starter/src/test/java/dev/tokenkeeper/examples/springboot/ChatApplication.java",
                        "sdk-spring-boot-starter/src/test/resources/chat-example.properties",
                        "sdk-langchain4j/src/test/java/dev/tokenkeeper/examples/aiservice/SupportAssistant.java");
    }
}
