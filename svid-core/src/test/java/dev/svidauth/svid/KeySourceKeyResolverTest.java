package dev.svidauth.svid;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.svidauth.keys.KeySourceSettings;
import dev.svidauth.keys.FetchedDocument;
import dev.svidauth.keys.KeyFetcher;
import dev.svidauth.keys.KeySourceCache;
import dev.svidauth.keys.KeySourceException;
import dev.svidauth.keys.VerificationKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The adapter between the key-source cache and the verifier: which URLs it checks and fetches, and which reason each key-source error becomes. */
class KeySourceKeyResolverTest {

    private static final String ISSUER = "https://oidc.example.org";
    private static final URI JWKS = URI.create("https://oidc.example.org/keys");

    private final KeySourceCache cache = new KeySourceCache(KeySourceSettings.defaults(), Clock.systemUTC(), Runnable::run);
    private final List<URI> checked = new ArrayList<>();
    private final List<URI> fetched = new ArrayList<>();

    private static String jwks(String kid) throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        return new JWKSet(key.toPublicJWK()).toString();
    }

    private KeyFetcher serving(String discovery, String keys) {
        return uri -> {
            fetched.add(uri);
            String body = uri.getPath().endsWith("/openid-configuration") ? discovery : keys;
            if (body == null) {
                throw new KeySourceException(uri + " answered HTTP 503");
            }
            return new FetchedDocument(body.getBytes(StandardCharsets.UTF_8), null);
        };
    }

    private KeySourceKeyResolver resolver(KeyFetcher fetcher, URI jwksUri) {
        return new KeySourceKeyResolver(cache, fetcher, jwksUri, ISSUER, checked::add);
    }

    @Test
    void configuredKeySourceIsCheckedThenFetched() throws Exception {
        List<VerificationKey> keys = resolver(serving(null, jwks("k1")), JWKS).candidates("k1", "ES256");

        assertThat(keys).extracting(VerificationKey::kid).containsExactly("k1");
        assertThat(checked).containsExactly(JWKS);
        assertThat(fetched).containsExactly(JWKS);
    }

    @Test
    void withoutAKeySourceTheDiscoveryUrlAndTheDiscoveredOneAreBothChecked() throws Exception {
        String discovery = "{\"issuer\":\"" + ISSUER + "\",\"jwks_uri\":\"https://keys.example.org/jwks\"}";
        List<VerificationKey> keys = resolver(serving(discovery, jwks("k1")), null).candidates("k1", "ES256");

        assertThat(keys).hasSize(1);
        URI discoveryUrl = URI.create(ISSUER + "/.well-known/openid-configuration");
        assertThat(checked).containsExactly(discoveryUrl, URI.create("https://keys.example.org/jwks"));
        assertThat(fetched).containsExactly(discoveryUrl, URI.create("https://keys.example.org/jwks"));
    }

    @Test
    void aRefusedUrlIsNeverFetched() {
        SvidRejectedException refusal = new SvidRejectedException(Reason.CLIENT_MISCONFIGURED, "must use https");
        KeySourceKeyResolver resolver = new KeySourceKeyResolver(cache, serving(null, null), JWKS, ISSUER, url -> {
            throw refusal;
        });

        assertThatThrownBy(() -> resolver.candidates("k1", "ES256")).isSameAs(refusal);
        assertThat(fetched).isEmpty();
    }

    @Test
    void anUnpublishedKidIsUnknownKid() throws Exception {
        KeySourceKeyResolver resolver = resolver(serving(null, jwks("k1")), JWKS);

        assertThatThrownBy(() -> resolver.candidates("k9", "ES256"))
                .isInstanceOf(SvidRejectedException.class)
                .hasMessage("SVID key id 'k9' is not published at " + JWKS)
                .satisfies(e -> assertThat(((SvidRejectedException) e).reason()).isEqualTo(Reason.UNKNOWN_KID));
    }

    @Test
    void anUnreachableSourceIsKeySourceUnavailable() {
        KeySourceKeyResolver resolver = resolver(serving(null, null), JWKS);

        assertThatThrownBy(() -> resolver.candidates("k1", "ES256"))
                .isInstanceOf(SvidRejectedException.class)
                .hasMessageStartingWith("key source " + JWKS + " is unavailable: ")
                .hasMessageContaining("HTTP 503")
                .satisfies(e -> assertThat(((SvidRejectedException) e).reason()).isEqualTo(Reason.KEY_SOURCE_UNAVAILABLE));
    }

    @Test
    void eachKindTranslatesToItsReasonWithTheSameWords() {
        assertThat(KeySourceKeyResolver.rejection(new KeySourceException("gone")))
                .satisfies(r -> assertThat(r.reason()).isEqualTo(Reason.KEY_SOURCE_UNAVAILABLE))
                .hasMessage("gone");
        assertThat(KeySourceKeyResolver.rejection(new KeySourceException(KeySourceException.Kind.UNKNOWN_KEY, "no such kid", null)))
                .satisfies(r -> assertThat(r.reason()).isEqualTo(Reason.UNKNOWN_KID))
                .hasMessage("no such kid");
    }
}
