package dev.svidauth.spiffe;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SpiffeIdIndexTest {

    private static SpiffeIdIndex index(String... pairs) throws InvalidSpiffeIdException {
        SpiffeIdIndex.Builder b = SpiffeIdIndex.builder();
        for (int i = 0; i < pairs.length; i += 2) {
            b.add(SpiffeIdPattern.parse(pairs[i]), pairs[i + 1]);
        }
        return b.build();
    }

    private static SpiffeIdIndex.Matches lookup(SpiffeIdIndex index, String id) throws InvalidSpiffeIdException {
        return index.lookup(SpiffeId.parse(id));
    }

    @Test
    void exactBeatsPrefix() throws Exception {
        SpiffeIdIndex idx = index("spiffe://td/a/*", "wide", "spiffe://td/a/b", "exact");
        SpiffeIdIndex.Matches m = lookup(idx, "spiffe://td/a/b");
        assertThat(m.clientIds()).containsExactly("exact");
        assertThat(m.exact()).isTrue();
    }

    @Test
    void longestPrefixWins() throws Exception {
        SpiffeIdIndex idx = index("spiffe://td/*", "domain", "spiffe://td/a/*", "a", "spiffe://td/a/b/*", "ab");
        assertThat(lookup(idx, "spiffe://td/a/b/c/d").clientIds()).containsExactly("ab");
        assertThat(lookup(idx, "spiffe://td/a/x").clientIds()).containsExactly("a");
        assertThat(lookup(idx, "spiffe://td/z").clientIds()).containsExactly("domain");
        assertThat(lookup(idx, "spiffe://td/a/x").exact()).isFalse();
    }

    @Test
    void prefixesAreSegmentSafe() throws Exception {
        SpiffeIdIndex idx = index("spiffe://td/a/*", "a");
        assertThat(lookup(idx, "spiffe://td/ab").isEmpty()).isTrue();
        assertThat(lookup(idx, "spiffe://td/ab/c").isEmpty()).isTrue();
        assertThat(lookup(idx, "spiffe://td/a").isEmpty()).isTrue();
        assertThat(lookup(idx, "spiffe://td/a/b").clientIds()).containsExactly("a");
    }

    @Test
    void trustDomainsAreSeparate() throws Exception {
        SpiffeIdIndex idx = index("spiffe://td/*", "td", "spiffe://td/a", "exact");
        assertThat(lookup(idx, "spiffe://tdx/a").isEmpty()).isTrue();
        assertThat(lookup(idx, "spiffe://other/a").isEmpty()).isTrue();
        assertThat(lookup(idx, "spiffe://td.evil/a").isEmpty()).isTrue();
    }

    @Test
    void tiesReturnEveryName() throws Exception {
        SpiffeIdIndex idx = index("spiffe://td/r", "eu", "spiffe://td/r", "us", "spiffe://td/p/*", "p1", "spiffe://td/p/*", "p2");
        assertThat(lookup(idx, "spiffe://td/r").clientIds()).containsExactly("eu", "us");
        assertThat(lookup(idx, "spiffe://td/p/q").clientIds()).containsExactly("p1", "p2");
        assertThat(idx.size()).isEqualTo(4);
    }

    @Test
    void resultsCannotBeModified() throws Exception {
        List<String> ids = lookup(index("spiffe://td/a", "a"), "spiffe://td/a").clientIds();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ids.add("b")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void emptyIndexFindsNothing() throws Exception {
        SpiffeIdIndex idx = SpiffeIdIndex.builder().build();
        assertThat(lookup(idx, "spiffe://td/a/b").clientIds()).isEmpty();
        assertThat(idx.size()).isZero();
    }
}
