package dev.svidauth.keys;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.Security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JCA provider handed to the key parser is the one that checks ECDSA signatures. */
class VerificationKeyProviderTest {

    private static final URI SOURCE = URI.create("https://oidc.example.org/keys");

    @Test
    void ecdsaSignaturesAreCheckedByTheGivenProvider() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("k1").build(), new Payload("{\"sub\":\"x\"}"));
        jws.sign(new ECDSASigner(key));
        byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);

        VerificationKey jdkDefault = KeySetParser.parse(SOURCE, jwks).keys().get(0);
        VerificationKey sunEc = KeySetParser.parse(SOURCE, jwks, Security.getProvider("SunEC")).keys().get(0);
        // a provider without ECDSA: if it is really used, verification cannot succeed
        VerificationKey noEcdsa = KeySetParser.parse(SOURCE, jwks, Security.getProvider("SunJCE")).keys().get(0);

        assertThat(jws.verify(jdkDefault.verifier())).isTrue();
        assertThat(jws.verify(sunEc.verifier())).isTrue();
        assertThatThrownBy(() -> jws.verify(noEcdsa.verifier())).isInstanceOf(com.nimbusds.jose.JOSEException.class);
    }
}
