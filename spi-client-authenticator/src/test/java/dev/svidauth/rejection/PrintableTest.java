package dev.svidauth.rejection;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrintableTest {

    @Test
    void shortValuesPassUnchanged() {
        assertThat(Printable.printable("spiffe://example.org/a")).isEqualTo("spiffe://example.org/a");
        assertThat(Printable.printable("")).isEmpty();
    }

    @Test
    void controlCharactersAreReplaced() {
        assertThat(Printable.printable("a\nb\r\tc\u0000d\u007fe")).isEqualTo("a?b??c?d?e");
    }

    @Test
    void longValuesAreCutAt64Characters() {
        String s = "x".repeat(64);
        assertThat(Printable.printable(s)).isEqualTo(s);
        assertThat(Printable.printable(s + "yz")).isEqualTo(s + "...");
    }
}
