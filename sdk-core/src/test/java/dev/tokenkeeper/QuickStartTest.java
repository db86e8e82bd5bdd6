package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.tokens.VerificationResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's quick start compiles, runs, and is the same text as the code here. */
class QuickStartTest {

    @Test
    @DisplayName("the README quick start runs and matches this code")
    void quickStartRunsAndMatchesTheReadme() throws IOException {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            // tag::quickstart[]
            try (TokenKeeper keeper = TokenKeeper.builder().build()) {   // embedded SQLite: data/tokenkeeper.db
                keeper.tenants().ensure("acme", "Acme Inc.");
                IssuedToken issued = keeper.tokens().issue(TokenSpec.builder()
                        .tenant("acme").name("ci-bot").role(Role.AGENT)
                        .allowedModels(Set.of("gpt-4o*"))
                        .build());
                String secret = issued.secret();                          // hand it out; it is never shown again

                VerificationResult result = keeper.tokens().verify(secret);
                if (result instanceof VerificationResult.Verified ok) {
                    Principal caller = ok.principal();                    // tenant, user, project, role, scopes ...
                    System.out.println(caller.tokenName() + " may call gpt-4o: " + caller.allowsModel("gpt-4o"));
                }
                keeper.tokens().revoke("acme", issued.info().id());
            }
            // end::quickstart[]
        } finally {
            System.setOut(original);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("ci-bot may call gpt-4o: true");

        List<String> source = Files.readAllLines(Path.of("src/test/java/dev/tokenkeeper/QuickStartTest.java"));
        List<String> region = source.subList(indexOf(source, "// tag::quickstart[]") + 1, indexOf(source, "// end::quickstart[]"));
        String readme = Files.readString(Path.of("../README.md"));
        String block = readme.substring(readme.indexOf("```java", readme.indexOf("<!-- quickstart")) + 8);
        block = block.substring(0, block.indexOf("```"));
        assertThat(normalise(Arrays.asList(block.split("\n")))).isEqualTo(normalise(region));
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new AssertionError("marker not found: " + marker);
    }

    private static List<String> normalise(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent).stripTrailing()).toList();
    }
}
