package dev.svidauth.rejection;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The one sanitizer of values written to answers, events, logs, reports and metric tags. */
class PrintableTest {

    @Test
    void shortValuesPassUnchanged() {
        assertThat(Printable.printable("spiffe://example.org/a")).isEqualTo("spiffe://example.org/a");
        assertThat(Printable.printable("")).isEmpty();
        assertThat(Printable.value(null)).isNull();
    }

    @Test
    void controlCharactersAreEscapedNotDropped() {
        assertThat(Printable.printable("a\nb\r\tc\u0000d\u007fe")).isEqualTo("a\\nb\\r\\tc\\u0000d\\u007fe");
        assertThat(Printable.value("x\u0085y\u2028z\u2029")).isEqualTo("x\\u0085y\\u2028z\\u2029");
    }

    @Test
    void bidirectionalFormattingIsEscaped() {
        assertThat(Printable.value("abc\u202edef\u2066")).isEqualTo("abc\\u202edef\\u2066");
    }

    @Test
    void surrogatePairsStayWholeAndLoneSurrogatesAreEscaped() {
        assertThat(Printable.value("key-\uD83D\uDD11")).isEqualTo("key-\uD83D\uDD11");
        assertThat(Printable.value("a\uD83Db")).isEqualTo("a\\ud83db");
        String cut = Printable.sanitize("x".repeat(5) + "\uD83D\uDD11".repeat(10), 10);
        assertThat(cut).hasSizeLessThanOrEqualTo(10).endsWith(Printable.CUT_MARKER);
        assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - Printable.CUT_MARKER.length() - 1))).isFalse();
    }

    @Test
    void quotedValuesKeepTheir64FirstCharactersThenTheMarker() {
        String s = "x".repeat(64);
        assertThat(Printable.printable(s)).isEqualTo(s);
        assertThat(Printable.printable(s + "yzw")).as("no longer than when cut").isEqualTo(s + "yzw");
        assertThat(Printable.printable(s + "yzwv")).isEqualTo(s + "...");
    }

    @Test
    void anIssuerOfTwelveKilobytesBecomesOneBoundedLine() {
        String iss = "https://evil.example/" + "A".repeat(12 * 1024) + "\nINJECTED LOG LINE";
        String value = Printable.value(iss);
        assertThat(value).hasSize(Printable.MAX_VALUE_CHARS).startsWith("https://evil.example/AAA").endsWith("...")
                .doesNotContain("\n");
        assertThat(Printable.text(iss)).hasSize(Printable.MAX_TEXT_CHARS).doesNotContain("\n");
    }

    @Test
    void escapesCountTowardsTheBound() {
        String kid = "\u0000".repeat(100);
        String value = Printable.sanitize(kid, 20);
        assertThat(value).hasSizeLessThanOrEqualTo(20).endsWith("...").startsWith("\\u0000\\u0000");
        assertThat(Printable.sanitize("ab\n", 4)).isEqualTo("ab\\n");
        assertThat(Printable.sanitize("abc\n", 4)).isEqualTo("a...");
    }

    @Test
    void sanitizingTwiceChangesNothing() {
        String once = Printable.text("key source http://x/\r\nSet-Cookie: a\u0000 " + "y".repeat(2000));
        assertThat(Printable.text(once)).isEqualTo(once);
        assertThat(Printable.value(Printable.value("a\tb"))).isEqualTo("a\\tb");
    }
}
