package dev.svidauth.spire;

import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * An X.509-SVID as the SPIFFE Workload API hands it to a workload: the certificate chain, leaf
 * first (the leaf alone when SPIRE's CA is self-signed, leaf then intermediate with an upstream
 * authority), and the leaf's private key; with the exports spiffe-helper writes
 * ({@code svid.pem}: the chain, {@code svid_key.pem}: the key as PKCS #8) and a PKCS #12 store.
 * Also what {@link X509Forge} returns for deliberately defective certificates.
 */
public final class X509Svid {

    /** Alias of the key entry in {@link #keyStore(char[])} and {@link #pkcs12(char[])}. */
    public static final String ALIAS = "svid";

    private final List<X509Certificate> chain;
    private final PrivateKey privateKey;

    /**
     * @param chain leaf first, at least the leaf
     * @param privateKey the leaf's private key
     */
    public X509Svid(List<X509Certificate> chain, PrivateKey privateKey) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a chain has at least the leaf");
        }
        this.chain = List.copyOf(chain);
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
    }

    /** The leaf certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** The chain as presented in TLS, leaf first. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The leaf's private key. */
    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The leaf's first URI SAN (the SPIFFE ID of a genuine SVID), or null without one. */
    public String spiffeId() {
        List<String> uris = uriSans(leaf());
        return uris.isEmpty() ? null : uris.get(0);
    }

    /**
     * The leaf's SHA-256 thumbprint as RFC 8705 (section 3.1) puts it into a certificate-bound
     * token's {@code cnf.x5t#S256}: base64url of SHA-256 over the DER encoding, no padding.
     */
    public String thumbprintS256() {
        try {
            return java.util.Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(java.security.MessageDigest.getInstance("SHA-256").digest(leaf().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot hash the leaf certificate", e);
        }
    }

    /** The leaf's notAfter. */
    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /** The chain as PEM {@code CERTIFICATE} blocks, leaf first (spiffe-helper's {@code svid.pem}). */
    public String chainPem() {
        return certificatesPem(chain);
    }

    /** The leaf alone as a PEM {@code CERTIFICATE} block (what nginx's {@code $ssl_client_escaped_cert} carries, unescaped). */
    public String leafPem() {
        return certificatesPem(List.of(leaf()));
    }

    /** The private key as a PEM {@code PRIVATE KEY} block, PKCS #8 (spiffe-helper's {@code svid_key.pem}). */
    public String privateKeyPem() {
        return pem("PRIVATE KEY", List.of(privateKey.getEncoded()));
    }

    /** Writes {@link #chainPem()} and {@link #privateKeyPem()} to the two files, each replaced atomically. */
    public void writePem(Path chainFile, Path keyFile) {
        writeAtomically(chainFile, chainPem());
        writeAtomically(keyFile, privateKeyPem());
    }

    /** An in-memory PKCS #12 store with one key entry, {@value #ALIAS}: the key and the chain. */
    public KeyStore keyStore(char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, privateKey, password, chain.toArray(X509Certificate[]::new));
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a PKCS #12 store", e);
        }
    }

    /** {@link #keyStore(char[])} serialized. */
    public byte[] pkcs12(char[] password) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            keyStore(password).store(out, password);
            return out.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot write a PKCS #12 store", e);
        }
    }

    @Override
    public String toString() {
        return "X509Svid[" + spiffeId() + ", " + chain.size() + " certificate(s), notAfter " + notAfter() + "]";
    }

    // ------------------------------------------------------------------ shared PEM and SAN helpers

    /** Certificates as consecutive PEM {@code CERTIFICATE} blocks. */
    static String certificatesPem(Collection<X509Certificate> certificates) {
        try {
            List<byte[]> ders = new java.util.ArrayList<>();
            for (X509Certificate c : certificates) {
                ders.add(c.getEncoded());
            }
            return pem("CERTIFICATE", ders);
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, List<byte[]> ders) {
        StringWriter text = new StringWriter();
        try (PemWriter w = new PemWriter(text)) {
            for (byte[] der : ders) {
                w.writeObject(new PemObject(type, der));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** Writes {@code text} to a temporary file next to {@code file} and moves it over {@code file}. */
    static void writeAtomically(Path file, String text) {
        writeAtomically(file, text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Replaces {@code file} by {@code bytes} in one rename, so that a reader never sees half a file. */
    static void writeAtomically(Path file, byte[] bytes) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The URI SANs of {@code cert}, in order. */
    static List<String> uriSans(X509Certificate cert) {
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names == null) {
                return List.of();
            }
            return names.stream().filter(n -> (Integer) n.get(0) == 6).map(n -> (String) n.get(1)).toList();
        } catch (CertificateParsingException e) {
            throw new IllegalStateException(e);
        }
    }
}
