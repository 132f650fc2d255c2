package dev.svidauth.spiffe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class SpiffeIdTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "spiffe://example.org/ns/apps/sa/payments",
            "spiffe://td/a",
            "spiffe://my-td_1.example/A.b-c_D",
            "spiffe://td/.../x",
            "spiffe://td/a.b/..c/c..",
            "spiffe://127.0.0.1/x",
    })
    void acceptsValidIds(String text) throws Exception {
        SpiffeId id = SpiffeId.parse(text);
        assertThat(id.toString()).isEqualTo(text);
        assertThat(SpiffeId.parse(text)).isEqualTo(id).hasSameHashCodeAs(id);
    }

    @Test
    void splitsTrustDomainAndPath() throws Exception {
        SpiffeId id = SpiffeId.parse("spiffe://example.org/ns/apps/sa/payments");
        assertThat(id.trustDomain()).isEqualTo("example.org");
        assertThat(id.path()).isEqualTo("/ns/apps/sa/payments");
        assertThat(id).isNotEqualTo(SpiffeId.parse("spiffe://example.org/ns/apps/sa/Payments"));
    }

    @Test
    void acceptsExactly2048Bytes() throws Exception {
        String prefix = "spiffe://td/";
        String text = prefix + "a".repeat(SpiffeId.MAX_LENGTH - prefix.length());
        assertThat(text).hasSize(2048);
        assertThat(SpiffeId.parse(text).toString()).isEqualTo(text);
    }

    static Stream<Arguments> invalid() {
        String prefix = "spiffe://td/";
        return Stream.of(
                arguments("", "SPIFFE ID is empty"),
                arguments("spiffe://Example.org/x", "invalid trust domain: 'E' is not allowed"),
                arguments("spiffe://td:443/x", "invalid trust domain: ':' is not allowed"),
                arguments("spiffe://u@td/x", "invalid trust domain: '@' is not allowed"),
                arguments("spiffe://td%2eorg/x", "invalid trust domain: '%' is not allowed"),
                arguments("spiffe://td/a%2Fb", "invalid path: '%' is not allowed"),
                arguments("spiffe://td/./a", "has a '.' path segment"),
                arguments("spiffe://td/a/.", "has a '.' path segment"),
                arguments("spiffe://td/a/../b", "has a '..' path segment"),
                arguments("spiffe://td//a", "has an empty path segment"),
                arguments("spiffe://td/a//b", "has an empty path segment"),
                arguments("spiffe://td/a/", "ends with '/'"),
                arguments("spiffe://td/", "ends with '/'"),
                arguments("spiffe://td/a?x=1", "invalid path: '?' is not allowed"),
                arguments("spiffe://td/a#frag", "invalid path: '#' is not allowed"),
                arguments("spiffe://td?x/a", "invalid trust domain: '?' is not allowed"),
                arguments("spiffe://td/a b", "invalid path: ' ' is not allowed"),
                arguments("spiffe://td/a\nb", "character U+000A is not allowed"),
                arguments("spiffe://td/\u00fc", "character U+00FC is not allowed"),
                arguments("spiffe://td/a\\b", "invalid path: '\\' is not allowed"),
                arguments(prefix + "a".repeat(2049 - prefix.length()), "longer than 2048 bytes"),
                // 1 100 two-byte characters: under 2048 chars but over 2048 bytes
                arguments(prefix + "\u00e9".repeat(1100), "longer than 2048 bytes"),
                arguments("SPIFFE://td/x", "must start with spiffe://"),
                arguments("Spiffe://td/x", "must start with spiffe://"),
                arguments("https://td/x", "must start with spiffe://"),
                arguments("spiffe:/td/x", "must start with spiffe://"),
                arguments(" spiffe://td/x", "must start with spiffe://"),
                arguments("spiffe://td", "has no path"),
                arguments("spiffe://example.org", "a trust domain ID does not name a workload"),
                arguments("spiffe:///x", "has an empty trust domain"),
                arguments("spiffe://", "has an empty trust domain"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void rejectsInvalidIds(String text, String messagePart) {
        assertThatThrownBy(() -> SpiffeId.parse(text))
                .isInstanceOf(InvalidSpiffeIdException.class)
                .hasMessageContaining(messagePart);
    }

    @Test
    void messagesStayBoundedAndPrintableForHostileInput() {
        String hostile = "spiffe://td/" + "\u0001".repeat(10) + "x".repeat(1000) + "?";
        assertThatThrownBy(() -> SpiffeId.parse(hostile))
                .isInstanceOf(InvalidSpiffeIdException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).hasSizeLessThan(400);
                    assertThat(e.getMessage()).doesNotContain("\u0001");
                });
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> SpiffeId.parse(null)).isInstanceOf(NullPointerException.class);
    }
}
