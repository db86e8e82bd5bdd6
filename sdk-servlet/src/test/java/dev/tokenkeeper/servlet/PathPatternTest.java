package dev.tokenkeeper.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the filter's path patterns")
class PathPatternTest {
    @Test
    @DisplayName("'/x/**' matches /x and everything below it, nothing beside it; other patterns match exactly")
    void matching() {
        TokenKeeperFilter.PathPattern v1 = TokenKeeperFilter.PathPattern.of("/v1/**");
        assertThat(List.of("/v1", "/v1/", "/v1/chat/completions")).allMatch(v1::matches);
        assertThat(List.of("/v1x", "/v", "/v2/v1", "", "/")).noneMatch(v1::matches);
        TokenKeeperFilter.PathPattern all = TokenKeeperFilter.PathPattern.of("/**");
        assertThat(List.of("", "/", "/anything/at/all")).allMatch(all::matches);
        TokenKeeperFilter.PathPattern health = TokenKeeperFilter.PathPattern.of("/health");
        assertThat(health.matches("/health")).isTrue();
        assertThat(List.of("/health/", "/healthz", "/", "")).noneMatch(health::matches);
    }

    @Test
    @DisplayName("every pattern and path agree with the rule as written: base equal, or base and '/' as prefix")
    void agreesWithTheRule() {
        List<String> patterns = List.of("/**", "/v1/**", "/v1/chat/**", "/v1", "/a/**/b", "/", "");
        List<String> paths = List.of("", "/", "/v1", "/v1/", "/v1/chat", "/v1/chat/x", "/v10", "/a/x/b", "/a/**/b");
        for (String pattern : patterns) {
            for (String path : paths) {
                boolean expected = pattern.endsWith("/**")
                        ? path.equals(pattern.substring(0, pattern.length() - 3))
                                || path.startsWith(pattern.substring(0, pattern.length() - 3) + "/")
                        : pattern.equals(path);
                assertThat(TokenKeeperFilter.PathPattern.of(pattern).matches(path))
                        .as("%s against %s", pattern, path)
                        .isEqualTo(expected);
            }
        }
    }
}
