package dev.tokenkeeper.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the Bearer credential's syntax (RFC 6750, section 2.1)")
class CredentialsTest {
    /** RFC 6750's b64token, written as the RFC gives it: {@code 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="}. */
    private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9._~+/-]+=*");

    @Test
    @DisplayName("every character is taken into a token exactly when the RFC's b64token allows it there")
    void everyCharacter() {
        for (char c = 0; c < 0x3000; c++) {
            String token = "a" + c + "b";
            String header = "Bearer " + token;
            boolean allowed = B64TOKEN.matcher(token).matches();
            assertThat(Credentials.bearer(header)).as("U+%04X", (int) c).isEqualTo(allowed ? token : null);
        }
    }

    @Test
    @DisplayName(
            "the whole alphabet with padding, the scheme in any case, trailing white space; padding only at the end")
    void shapes() {
        assertThat(Credentials.bearer("Bearer az-AZ.09_~+/==")).isEqualTo("az-AZ.09_~+/==");
        assertThat(Credentials.bearer("bEARER  tk_abc \t")).isEqualTo("tk_abc");
        assertThat(Credentials.bearer("Bearer a=b")).isNull();
        assertThat(Credentials.bearer("Bearer ==")).isNull();
        assertThat(Credentials.bearer("Bearer ")).isNull();
        assertThat(Credentials.bearer("Basic dXNlcjpwYXNz")).isNull();
    }
}
