package dev.svidauth.spiffe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class SpiffeIdPatternTest {

    static Stream<Arguments> matching() {
        return Stream.of(
                // segment-safe prefix
                arguments("spiffe://td/a/*", "spiffe://td/a/b", true),
                arguments("spiffe://td/a/*", "spiffe://td/a/b/c", true),
                arguments("spiffe://td/a/*", "spiffe://td/a", false),
                arguments("spiffe://td/a/*", "spiffe://td/ab", false),
                arguments("spiffe://td/a/*", "spiffe://td/ab/c", false),
                arguments("spiffe://td/a/*", "spiffe://td/A/b", false),
                arguments("spiffe://td/a/*", "spiffe://other/a/b", false),
                arguments("spiffe://td/a/*", "spiffe://td.evil/a/b", false),
                arguments("spiffe://td/a/b/*", "spiffe://td/a/b/c", true),
                arguments("spiffe://td/a/b/*", "spiffe://td/a/bc", false),
                arguments("spiffe://td/a/b/*", "spiffe://td/a/b", false),
                // whole trust domain
                arguments("spiffe://td/*", "spiffe://td/a", true),
                arguments("spiffe://td/*", "spiffe://td/a/b/c", true),
                arguments("spiffe://td/*", "spiffe://other/a", false),
                arguments("spiffe://td/*", "spiffe://tdx/a", false),
                // exact
                arguments("spiffe://td/a", "spiffe://td/a", true),
                arguments("spiffe://td/a", "spiffe://td/a/b", false),
                arguments("spiffe://td/a", "spiffe://td/ab", false),
                arguments("spiffe://td/a", "spiffe://other/a", false),
                arguments("  spiffe://td/a  ", "spiffe://td/a", true));
    }

    @ParameterizedTest
    @MethodSource("matching")
    void matches(String pattern, String id, boolean expected) throws Exception {
        assertThat(SpiffeIdPattern.parse(pattern).matches(SpiffeId.parse(id))).isEqualTo(expected);
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                arguments("spiffe://td/a*", "has '*' in the middle"),
                arguments("spiffe://td/*/b", "has '*' in the middle"),
                arguments("spiffe://td/**", "has '*' in the middle"),
                arguments("spiffe://*.td/a", "has '*' in the middle"),
                arguments("spiffe://td/*/*", "may only end with '/*'"),
                arguments("spiffe://td/a*/*", "may only end with '/*'"),
                arguments("spiffe://TD/*", "invalid trust domain"),
                arguments("spiffe://td:8443/*", "invalid trust domain"),
                arguments("https://td/*", "must start with spiffe://"),
                arguments("SPIFFE://td/a/*", "must start with spiffe://"),
                arguments("spiffe://*", "must start with spiffe://"),
                arguments("spiffe:///*", "has an empty trust domain"),
                arguments("spiffe://td/a//*", "ends with '/'"),
                arguments("spiffe://td/../*", "has a '..' path segment"),
                arguments("spiffe://td/a%2F/*", "'%' is not allowed"),
                arguments("spiffe://td", "has no path"),
                arguments("spiffe://td/a/", "ends with '/'"),
                arguments("", "SPIFFE ID is empty"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void rejectsInvalidPatterns(String text, String messagePart) {
        assertThatThrownBy(() -> SpiffeIdPattern.parse(text))
                .isInstanceOf(InvalidSpiffeIdException.class)
                .hasMessageContaining(messagePart);
    }

    @Test
    void describesPrefixAndExactPatterns() throws Exception {
        SpiffeIdPattern prefix = SpiffeIdPattern.parse("spiffe://td/ns/apps/*");
        assertThat(prefix.isPrefix()).isTrue();
        assertThat(prefix.trustDomain()).isEqualTo("td");
        assertThat(prefix.path()).isEqualTo("/ns/apps");
        assertThat(prefix.toString()).isEqualTo("spiffe://td/ns/apps/*");

        SpiffeIdPattern all = SpiffeIdPattern.parse("spiffe://td/*");
        assertThat(all.isPrefix()).isTrue();
        assertThat(all.path()).isEmpty();

        SpiffeIdPattern exact = SpiffeIdPattern.parse("spiffe://td/ns/apps");
        assertThat(exact.isPrefix()).isFalse();
        assertThat(exact.toString()).isEqualTo("spiffe://td/ns/apps");
        assertThat(exact).isNotEqualTo(SpiffeIdPattern.parse("spiffe://td/ns/apps/*"));
        assertThat(exact).isEqualTo(SpiffeIdPattern.parse(" spiffe://td/ns/apps")).hasSameHashCodeAs(
                SpiffeIdPattern.parse("spiffe://td/ns/apps"));
    }

    @Test
    void parsesDoubleHashSeparatedLists() throws Exception {
        List<SpiffeIdPattern> list = SpiffeIdPattern.parseList("spiffe://td/a##spiffe://td/b/*## ##  spiffe://other/c  ##");
        assertThat(list).extracting(Object::toString)
                .containsExactly("spiffe://td/a", "spiffe://td/b/*", "spiffe://other/c");
        assertThat(list).extracting(SpiffeIdPattern::isPrefix).containsExactly(false, true, false);
        assertThat(SpiffeIdPattern.parseList(null)).isEmpty();
        assertThat(SpiffeIdPattern.parseList("  ")).isEmpty();
        assertThat(SpiffeIdPattern.parseList("spiffe://td/a")).hasSize(1);
    }

    @Test
    void listWithOneBadEntryIsRejectedAsAWhole() {
        assertThatThrownBy(() -> SpiffeIdPattern.parseList("spiffe://td/a##spiffe://td/b*"))
                .isInstanceOf(InvalidSpiffeIdException.class)
                .hasMessageContaining("spiffe://td/b*");
        // a comma is not a separator: it is an invalid character
        assertThatThrownBy(() -> SpiffeIdPattern.parseList("spiffe://td/a,spiffe://td/b"))
                .isInstanceOf(InvalidSpiffeIdException.class)
                .hasMessageContaining("',' is not allowed");
    }
}
