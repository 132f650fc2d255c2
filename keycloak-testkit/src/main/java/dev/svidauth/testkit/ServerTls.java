package dev.svidauth.testkit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * A throwaway TLS identity for a test server, made at test time: a server CA (whose key is
 * forgotten once it has signed) and a server certificate for {@code 127.0.0.1}, {@code ::1} and
 * {@code localhost}, written as PEM files that Keycloak's {@code --https-certificate-file} and
 * {@code --https-certificate-key-file} read. Clients trust {@link #ca()}.
 *
 * <pre>{@code
 * ServerTls tls = ServerTls.create(dir);
 * HttpClient http = HttpClient.newBuilder().sslContext(tls.clientContext()).build();
 * }</pre>
 */
public final class ServerTls {

    /** The server CA certificate, PEM. */
    public static final String CA_FILE = "server-ca.pem";
    /** The server certificate, PEM. */
    public static final String CERTIFICATE_FILE = "server.pem";
    /** The server certificate's key, PEM PKCS #8. */
    public static final String KEY_FILE = "server-key.pem";
    /** How long the certificates are valid, from an hour before their creation. */
    public static final Duration VALIDITY = Duration.ofDays(30);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final X509Certificate ca;
    private final X509Certificate certificate;

    private ServerTls(Path dir, X509Certificate ca, X509Certificate certificate) {
        this.dir = dir;
        this.ca = ca;
        this.certificate = certificate;
    }

    /** Makes a new CA and server certificate (EC P-256) and writes {@value #CA_FILE}, {@value #CERTIFICATE_FILE} and {@value #KEY_FILE} into {@code dir}. */
    public static ServerTls create(Path dir) {
        try {
            Path abs = dir.toAbsolutePath().normalize();
            Files.createDirectories(abs);
            Instant now = Instant.now();
            KeyPair caKeys = ecKeyPair();
            X500Name caName = new X500Name("CN=svid-auth test server CA " + now.getEpochSecond());
            X509v3CertificateBuilder caBuilder = builder(caName, caName, caKeys, now);
            JcaX509ExtensionUtils ids = new JcaX509ExtensionUtils();
            caBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            caBuilder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            caBuilder.addExtension(Extension.subjectKeyIdentifier, false, ids.createSubjectKeyIdentifier(caKeys.getPublic()));
            X509Certificate ca = sign(caBuilder, caKeys.getPrivate());

            KeyPair serverKeys = ecKeyPair();
            X509v3CertificateBuilder b = builder(caName, new X500Name("CN=localhost"), serverKeys, now);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectKeyIdentifier, false, ids.createSubjectKeyIdentifier(serverKeys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ids.createAuthorityKeyIdentifier(ca));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.iPAddress, "::1"),
                    new GeneralName(GeneralName.dNSName, "localhost")}));
            X509Certificate server = sign(b, caKeys.getPrivate());

            writePem(abs.resolve(CA_FILE), "CERTIFICATE", ca.getEncoded());
            writePem(abs.resolve(CERTIFICATE_FILE), "CERTIFICATE", server.getEncoded());
            writePem(abs.resolve(KEY_FILE), "PRIVATE KEY", serverKeys.getPrivate().getEncoded());
            return new ServerTls(abs, ca, server);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the server's TLS files into " + dir, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the server's TLS certificates", e);
        }
    }

    /** The CA that signed the server certificate: what clients trust. */
    public X509Certificate ca() {
        return ca;
    }

    /** The server certificate (EC P-256; SANs 127.0.0.1, ::1, localhost). */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The directory of the three files. */
    public Path dir() {
        return dir;
    }

    /** {@value #CA_FILE} in {@link #dir()}. */
    public Path caFile() {
        return dir.resolve(CA_FILE);
    }

    /** {@value #CERTIFICATE_FILE} in {@link #dir()}: for {@code --https-certificate-file}. */
    public Path certificateFile() {
        return dir.resolve(CERTIFICATE_FILE);
    }

    /** {@value #KEY_FILE} in {@link #dir()}: for {@code --https-certificate-key-file}. */
    public Path keyFile() {
        return dir.resolve(KEY_FILE);
    }

    /** A client context that trusts this server and presents no client certificate. */
    public SSLContext clientContext() {
        return TlsClients.withoutClientCertificate(List.of(ca));
    }

    /** A client context that trusts this server and presents {@code chain} (leaf first) with {@code key}. */
    public SSLContext clientContext(List<X509Certificate> chain, PrivateKey key) {
        return TlsClients.withClientCertificate(chain, key, List.of(ca));
    }

    @Override
    public String toString() {
        return "ServerTls[" + dir + "]";
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Instant now) {
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).setBit(126),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private static KeyPair ecKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static void writePem(Path file, String type, byte[] der) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
             PemWriter pem = new PemWriter(out)) {
            pem.writeObject(new PemObject(type, der));
        }
    }
}
