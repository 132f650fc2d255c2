package dev.svidauth.spire;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A CA that can sign: its certificate, its private key, and what a leaf it signs presents after
 * itself in TLS ({@code chain}: empty for a CA that verifiers hold as an authority, else the
 * intermediates up to such an authority, nearest first). The emulator's X.509 CA is one
 * ({@link SpireEmulator#x509Authority()}); {@link X509Forge} makes unrelated, intermediate and
 * impostor ones.
 *
 * @param certificate the CA certificate
 * @param privateKey its key
 * @param chain what a leaf it signs presents after itself, nearest first
 */
public record X509Issuer(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> chain) {

    public X509Issuer {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        chain = List.copyOf(chain);
    }

    /** Signs {@code t}; the result's chain is the new leaf followed by {@link #chain()}. */
    X509Svid issue(GoX509.Template t, PrivateKey leafKey) {
        X509Certificate leaf = GoX509.create(t, GoX509.subjectOf(certificate), privateKey);
        List<X509Certificate> all = new ArrayList<>(List.of(leaf));
        all.addAll(chain);
        return new X509Svid(all, leafKey);
    }
}
