package dev.svidauth.keycloak.runtime;

import dev.svidauth.keys.VerificationKey;
import org.jboss.logging.Logger;
import org.keycloak.common.crypto.CryptoIntegration;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which JCA provider checks ECDSA signatures of JWT-SVIDs: the faster of Keycloak's own
 * (BouncyCastle, or BCFIPS in FIPS mode) and the JDK's (SunEC), measured once on this JVM
 * ({@code ecdsa-provider=auto}, the default), or the one the provider option names
 * ({@code keycloak}, {@code jdk}). A provider is a candidate only if it accepts a valid P-256
 * signature and refuses a tampered one. The speed of the two differs by JDK and provider version
 * (BENCHMARKS.md, "The ECDSA floor, and the key form"), so the choice is measured where it runs
 * instead of fixed in the code.
 */
final class EcdsaProviderDetection {

    private static final Logger LOG = Logger.getLogger(EcdsaProviderDetection.class);

    static final String AUTO = "auto";
    static final String KEYCLOAK = "keycloak";
    static final String JDK = "jdk";
    static final List<String> CHOICES = List.of(AUTO, KEYCLOAK, JDK);

    private static final int WARM_UP = 100;
    private static final int ROUNDS = 3;
    private static final int PER_ROUND = 30;

    /** What was chosen and why: the provider (null: the JDK's default lookup) and how (the measured µs per verification). */
    record Choice(Provider provider, String how) {
        String name() {
            return provider != null ? provider.getName() : "JDK default";
        }
    }

    /** The choice of one JVM for each option value (the measurement runs once). */
    private static final java.util.concurrent.ConcurrentHashMap<String, Choice> CHOSEN = new java.util.concurrent.ConcurrentHashMap<>();

    private EcdsaProviderDetection() {
    }

    /** The provider for {@code option} ({@link #CHOICES}; anything else counts as {@code auto}), chosen once per JVM. */
    static Choice choose(String option) {
        String o = option == null ? AUTO : option.trim().toLowerCase(Locale.ROOT);
        return CHOSEN.computeIfAbsent(CHOICES.contains(o) ? o : AUTO, EcdsaProviderDetection::decide);
    }

    private static Choice decide(String option) {
        Provider keycloak = keycloakProvider();
        Provider jdk = Security.getProvider("SunEC");
        Choice c;
        if (KEYCLOAK.equals(option)) {
            c = new Choice(keycloak, "ecdsa-provider=keycloak" + (keycloak == null ? " (not available: the JDK's)" : ""));
        } else if (JDK.equals(option)) {
            c = new Choice(jdk, "ecdsa-provider=jdk");
        } else {
            c = fastest(keycloak, jdk);
        }
        LOG.infof("client-svid-jwt: ECDSA signatures checked by %s (%s)", c.name(), c.how());
        return c;
    }

    /** The faster of the two that verify correctly, by the median of alternating timed rounds. */
    static Choice fastest(Provider keycloak, Provider jdk) {
        if (keycloak == null || jdk == null || keycloak == jdk) {
            return new Choice(keycloak, "only one ECDSA provider available");
        }
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = g.generateKeyPair();
            byte[] message = "svid-auth ECDSA provider calibration: header.payload of a JWT-SVID".repeat(5)
                    .getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(pair.getPrivate());
            signer.update(message);
            byte[] signature = signer.sign();
            // each provider with the key in its own form, as VerificationKey holds it
            ECPublicKey keycloakKey = VerificationKey.inProviderForm((ECPublicKey) pair.getPublic(), keycloak);
            ECPublicKey jdkKey = VerificationKey.inProviderForm((ECPublicKey) pair.getPublic(), jdk);
            boolean keycloakSound = sound(keycloak, keycloakKey, message, signature);
            boolean jdkSound = sound(jdk, jdkKey, message, signature);
            if (!keycloakSound || !jdkSound) {
                Provider only = keycloakSound ? keycloak : jdkSound ? jdk : keycloak;
                return new Choice(only, (keycloakSound ? jdk : keycloak).getName() + " failed the correctness check");
            }
            for (int i = 0; i < WARM_UP; i++) {
                verify(keycloak, keycloakKey, message, signature);
                verify(jdk, jdkKey, message, signature);
            }
            List<Double> keycloakRounds = new ArrayList<>();
            List<Double> jdkRounds = new ArrayList<>();
            for (int r = 0; r < ROUNDS; r++) {
                keycloakRounds.add(micros(keycloak, keycloakKey, message, signature));
                jdkRounds.add(micros(jdk, jdkKey, message, signature));
            }
            double k = median(keycloakRounds);
            double j = median(jdkRounds);
            String how = String.format(Locale.ROOT, "measured: %s %.0f µs, %s %.0f µs per P-256 verification", keycloak.getName(), k,
                    jdk.getName(), j);
            return new Choice(k <= j ? keycloak : jdk, how);
        } catch (GeneralSecurityException | RuntimeException e) {
            LOG.debugf("client-svid-jwt: ECDSA calibration failed (%s)", e.toString());
            return new Choice(keycloak, "calibration failed: " + e);
        }
    }

    private static boolean sound(Provider p, PublicKey key, byte[] message, byte[] signature) {
        try {
            byte[] tampered = Arrays.copyOf(message, message.length);
            tampered[0] ^= 1;
            return verify(p, key, message, signature) && !verify(p, key, tampered, signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static boolean verify(Provider p, PublicKey key, byte[] message, byte[] signature) throws GeneralSecurityException {
        Signature v = Signature.getInstance("SHA256withECDSA", p);
        v.initVerify(key);
        v.update(message);
        return v.verify(signature);
    }

    private static double micros(Provider p, PublicKey key, byte[] message, byte[] signature) throws GeneralSecurityException {
        long t = System.nanoTime();
        for (int i = 0; i < PER_ROUND; i++) {
            verify(p, key, message, signature);
        }
        return (System.nanoTime() - t) / 1e3 / PER_ROUND;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    /**
     * Keycloak's own JCA provider (BouncyCastle, or BCFIPS in FIPS mode) for ECDSA, as Keycloak
     * uses for its own signatures. Null when Keycloak's crypto is not set up or lacks ECDSA.
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
