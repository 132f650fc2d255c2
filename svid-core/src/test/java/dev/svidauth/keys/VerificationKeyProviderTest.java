package dev.svidauth.keys;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.Security;
import java.security.interfaces.ECPublicKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JCA provider handed to the key parser is the one that checks ECDSA signatures. */
class VerificationKeyProviderTest {

    private static final URI SOURCE = URI.create("https://oidc.example.org/keys");

    /** A P-256 key, an ES256 JWS it signed, and the key's public JWK set. */
    private record Signed(ECKey key, JWSObject jws, byte[] jwks) {
        static Signed create() throws Exception {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
            JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("k1").build(), new Payload("{\"sub\":\"x\"}"));
            jws.sign(new ECDSASigner(key));
            return new Signed(key, jws, new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void ecdsaSignaturesAreCheckedByTheGivenProvider() throws Exception {
        Signed signed = Signed.create();
        JWSObject jws = signed.jws();
        byte[] jwks = signed.jwks();

        VerificationKey jdkDefault = KeySetParser.parse(SOURCE, jwks).keys().get(0);
        VerificationKey sunEc = KeySetParser.parse(SOURCE, jwks, Security.getProvider("SunEC")).keys().get(0);
        // a provider without ECDSA: if it is really used, verification cannot succeed
        VerificationKey noEcdsa = KeySetParser.parse(SOURCE, jwks, Security.getProvider("SunJCE")).keys().get(0);

        assertThat(jws.verify(jdkDefault.verifier())).isTrue();
        assertThat(jws.verify(sunEc.verifier())).isTrue();
        assertThatThrownBy(() -> jws.verify(noEcdsa.verifier())).isInstanceOf(com.nimbusds.jose.JOSEException.class);
    }

    @Test
    void theKeyIsHeldInTheProvidersOwnFormAndStillRefusesATamperedSignature() throws Exception {
        Signed signed = Signed.create();
        ECKey key = signed.key();
        JWSObject jws = signed.jws();
        byte[] jwks = signed.jwks();
        Provider bc = new BouncyCastleProvider();

        VerificationKey parsed = KeySetParser.parse(SOURCE, jwks, bc).keys().get(0);
        ECPublicKey held = ((ECDSAVerifier) parsed.verifier()).getPublicKey();

        assertThat(held.getClass().getName()).startsWith("org.bouncycastle.");
        assertThat(held.getEncoded()).isEqualTo(key.toECPublicKey().getEncoded());
        assertThat(jws.verify(parsed.verifier())).isTrue();
        String[] parts = jws.serialize().split("\\.");
        JWSObject tampered = JWSObject.parse(parts[0] + "." + Base64URL.encode("{\"sub\":\"y\"}") + "." + parts[2]);
        assertThat(tampered.verify(parsed.verifier())).isFalse();
        // without an EC key factory the key is kept as it is
        assertThat(VerificationKey.inProviderForm(key.toECPublicKey(), Security.getProvider("SunJCE"))).isInstanceOf(ECPublicKey.class);
    }
}
