package dev.svidauth.keys;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static dev.svidauth.keys.KeySetParserTest.doc;
import static dev.svidauth.keys.KeySetParserTest.generateEc;
import static dev.svidauth.keys.KeySetParserTest.jwks;
import static dev.svidauth.keys.KeySetParserTest.spireKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A bundle's {@code wit-svid} keys are kept apart from its {@code jwt-svid} keys (SPIFFE WIT-SVID
 * spec section 6.2): neither kind verifies the other's SVIDs, and a bundle without WIT-SVID keys
 * means the trust domain issues none.
 */
class WitBundleKeysTest {

    private static final URI SOURCE = URI.create("https://spire.example.org/bundle");
    private static final ECKey JWT = generateEc(Curve.P_256, "jwt-kid");
    private static final ECKey WIT = generateEc(Curve.P_256, "wit-kid");

    private static ObjectNode bundle(ObjectNode... keys) {
        ObjectNode root = jwks(keys);
        root.put("spiffe_sequence", 1);
        return root;
    }

    @Test
    void witKeysAndJwtKeysAreKeptApart() throws Exception {
        KeySet set = KeySetParser.parse(SOURCE, doc(bundle(spireKey(JWT, null, "jwt-svid"), spireKey(WIT, null, "wit-svid"))));

        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly("jwt-kid");
        assertThat(set.witKeys()).extracting(VerificationKey::kid).containsExactly("wit-kid");
        assertThat(set.candidates("wit-kid", "ES256")).as("a JWT-SVID naming a wit-svid key").isEmpty();
        assertThat(set.witCandidates("jwt-kid")).as("a WIT-SVID naming a jwt-svid key").isEmpty();
        assertThat(set.witCandidates("wit-kid")).hasSize(1);
    }

    /** WIT-SVID spec section 2.1: a kid is a case-sensitive string. */
    @Test
    void aKidIsComparedCaseSensitively() throws Exception {
        KeySet set = KeySetParser.parse(SOURCE, doc(bundle(spireKey(WIT, null, "wit-svid"))));

        assertThat(set.witCandidates("WIT-KID")).isEmpty();
        assertThat(set.witCandidates("wit-kid")).hasSize(1);
    }

    @Test
    void aJwksNeverYieldsWitKeys() throws Exception {
        KeySet set = KeySetParser.parse(SOURCE, doc(jwks(spireKey(JWT, "ES256", null), spireKey(WIT, "ES256", "wit-svid"))));

        assertThat(set.witKeys()).isEmpty();
        assertThat(set.keys()).extracting(VerificationKey::kid).containsExactly("jwt-kid");
    }

    @Test
    void aBundleOfWitKeysOnlyHasNoJwtKeys() throws Exception {
        KeySet set = KeySetParser.parse(SOURCE, doc(bundle(spireKey(WIT, null, "wit-svid"))));

        assertThat(set.keys()).isEmpty();
        assertThat(set.witKeys()).hasSize(1);
    }

    @Test
    void aKidNamesOneKeyAcrossJwtAndWitKeys() {
        ECKey twin = generateEc(Curve.P_256, "jwt-kid");
        assertThatThrownBy(() -> KeySetParser.parse(SOURCE, doc(bundle(spireKey(JWT, null, "jwt-svid"), spireKey(twin, null, "wit-svid")))))
                .isInstanceOf(KeySourceException.class).hasMessageContaining("two signing keys with kid 'jwt-kid'");
    }

    @Test
    void aBundleWithMoreWitKeysThanTheLimitIsRefusedAsAWhole() throws Exception {
        ObjectNode[] keys = new ObjectNode[KeyLimits.MAX_WIT_KEYS + 1];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (ObjectNode) spireKey(generateEc(Curve.P_256, "wit-" + i), null, "wit-svid");
        }
        assertThat(KeySetParser.parse(SOURCE, doc(bundle(java.util.Arrays.copyOf(keys, KeyLimits.MAX_WIT_KEYS)))).witKeys())
                .hasSize(KeyLimits.MAX_WIT_KEYS);
        assertThatThrownBy(() -> KeySetParser.parse(SOURCE, doc(bundle(keys))))
                .isInstanceOf(KeySourceException.class).hasMessageContaining((KeyLimits.MAX_WIT_KEYS + 1) + " WIT-SVID keys");
    }

    @Test
    void aPrivateWitKeyIsSkipped() throws Exception {
        ObjectNode priv = (ObjectNode) KeySetParserTest.spireKey(WIT, null, "wit-svid");
        priv.put("d", WIT.getD().toString());
        KeySet set = KeySetParser.parse(SOURCE, doc(bundle(spireKey(JWT, null, "jwt-svid"), priv)));

        assertThat(set.witKeys()).isEmpty();
        assertThat(set.skipped()).singleElement().asString().contains("wit-svid key 'wit-kid'");
    }

    private static KeySourceCache cache() {
        Clock clock = Clock.fixed(Instant.parse("2026-12-07T22:00:00Z"), ZoneOffset.UTC);
        return new KeySourceCache(KeySourceSettings.defaults(), clock, Runnable::run);
    }

    private static KeyFetcher serving(byte[] body) {
        return uri -> new FetchedDocument(body, null);
    }

    @Test
    void theCacheServesWitKeysByKid() throws Exception {
        byte[] body = doc(bundle(spireKey(JWT, null, "jwt-svid"), spireKey(WIT, null, "wit-svid")));
        KeySourceCache cache = cache();

        assertThat(cache.witCandidates(SOURCE, "wit-kid", serving(body), null)).extracting(VerificationKey::kid).containsExactly("wit-kid");
        assertThatThrownBy(() -> cache.witCandidates(SOURCE, "jwt-kid", serving(body), null))
                .isInstanceOfSatisfying(KeySourceException.class, e -> assertThat(e.kind()).isEqualTo(KeySourceException.Kind.UNKNOWN_KEY))
                .hasMessageContaining("not among the wit-svid keys");
        assertThatThrownBy(() -> cache.candidates(SOURCE, "wit-kid", "ES256", serving(body)))
                .isInstanceOfSatisfying(KeySourceException.class, e -> assertThat(e.kind()).isEqualTo(KeySourceException.Kind.UNKNOWN_KEY));
    }

    @Test
    void aBundleWithoutWitKeysIsATrustDomainWithoutWitSvids() {
        byte[] body = doc(bundle(spireKey(JWT, null, "jwt-svid")));
        KeySourceCache cache = cache();

        assertThatThrownBy(() -> cache.witCandidates(SOURCE, "wit-kid", serving(body), "example.org"))
                .isInstanceOfSatisfying(KeySourceException.class, e -> assertThat(e.kind()).isEqualTo(KeySourceException.Kind.NO_WIT_KEYS))
                .hasMessageContaining("trust domain 'example.org' publishes no WIT-SVID keys");
        assertThat(new String(body, StandardCharsets.UTF_8)).doesNotContain("wit-svid");
    }
}
