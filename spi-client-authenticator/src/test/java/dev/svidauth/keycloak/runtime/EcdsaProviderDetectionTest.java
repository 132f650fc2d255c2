package dev.svidauth.keycloak.runtime;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;

import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.SignatureSpi;

import static org.assertj.core.api.Assertions.assertThat;

class EcdsaProviderDetectionTest {

    /** A provider whose ECDSA "verification" accepts anything. */
    public static final class AcceptsAnything extends SignatureSpi {
        @Override
        protected void engineInitVerify(PublicKey publicKey) {
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            throw new InvalidKeyException("verify only");
        }

        @Override
        protected void engineUpdate(byte b) {
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
        }

        @Override
        protected byte[] engineSign() {
            return new byte[0];
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) {
            return true;
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            return null;
        }
    }

    private static Provider broken() {
        Provider p = new Provider("AcceptsAnything", "1", "test") {
        };
        p.put("Signature.SHA256withECDSA", AcceptsAnything.class.getName());
        return p;
    }

    @Test
    void theFasterOfTwoSoundProvidersIsChosenWithTheMeasuredFigures() {
        Provider bc = new BouncyCastleProvider();
        Provider sunEc = Security.getProvider("SunEC");
        EcdsaProviderDetection.Choice c = EcdsaProviderDetection.fastest(bc, sunEc);
        assertThat(c.provider()).isIn(bc, sunEc);
        assertThat(c.how()).startsWith("measured: BC ").contains("µs, SunEC ").endsWith("µs per P-256 verification");
    }

    @Test
    void aProviderThatAcceptsATamperedSignatureIsNeverChosen() {
        Provider sunEc = Security.getProvider("SunEC");
        EcdsaProviderDetection.Choice c = EcdsaProviderDetection.fastest(broken(), sunEc);
        assertThat(c.provider()).isSameAs(sunEc);
        assertThat(c.how()).isEqualTo("AcceptsAnything failed the correctness check");
        assertThat(EcdsaProviderDetection.fastest(sunEc, broken()).provider()).isSameAs(sunEc);
    }

    @Test
    void withOneProviderThereIsNothingToMeasure() {
        Provider sunEc = Security.getProvider("SunEC");
        assertThat(EcdsaProviderDetection.fastest(null, sunEc).how()).isEqualTo("only one ECDSA provider available");
    }

    @Test
    void theJdkOptionNamesSunEc() {
        EcdsaProviderDetection.Choice c = EcdsaProviderDetection.choose("JDK");
        assertThat(c.provider()).isSameAs(Security.getProvider("SunEC"));
        assertThat(c.how()).isEqualTo("ecdsa-provider=jdk");
    }
}
