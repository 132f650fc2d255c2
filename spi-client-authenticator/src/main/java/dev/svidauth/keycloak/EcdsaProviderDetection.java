package dev.svidauth.keycloak;

import org.jboss.logging.Logger;
import org.keycloak.common.crypto.CryptoIntegration;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import java.util.List;

/** Which JCA provider checks ECDSA signatures. */
final class EcdsaProviderDetection {

    private static final Logger LOG = Logger.getLogger(EcdsaProviderDetection.class);

    private EcdsaProviderDetection() {
    }

    /**
     * Keycloak's own JCA provider (BouncyCastle, or BCFIPS in FIPS mode) for ECDSA, as Keycloak
     * uses for its own signatures: on JDK 17 its P-256 verification is several times faster than
     * the JDK's. Null (the JDK default) when Keycloak's crypto is not set up or lacks ECDSA.
     */
    static Provider keycloakProvider() {
        try {
            if (!CryptoIntegration.isInitialised()) {
                return null;
            }
            Provider p = CryptoIntegration.getProvider().getBouncyCastleProvider();
            if (p == null) {
                return null;
            }
            for (String alg : List.of("SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA")) {
                Signature.getInstance(alg, p);
            }
            return p;
        } catch (GeneralSecurityException | RuntimeException | LinkageError e) {
            LOG.debugf("client-svid-jwt: ECDSA signatures checked by the JDK's providers (%s)", e.toString());
            return null;
        }
    }
}
