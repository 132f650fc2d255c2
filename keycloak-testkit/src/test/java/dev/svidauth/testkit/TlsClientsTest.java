package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.X509Forge.Defect;
import dev.svidauth.spire.X509Svid;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The server TLS identity and the client contexts against a JDK HTTPS server set up as Keycloak's
 * HTTPS listener is with {@code --https-client-auth=request} and the SPIRE emulator's bundle as
 * {@code --https-trust-store-file}: JSSE with the PKIX trust manager over the bundle's
 * certificates. The server answers with the number of client certificates it received.
 *
 * <p>Also the record of what that TLS layer does with each forged chain: the JDK's trust manager
 * ends the handshake (also when client authentication is only requested) for chains that do not
 * verify up to the bundle, are outside their validity, or whose leaf's key usage or extended key
 * usage does not allow TLS client authentication; every other defect reaches the application,
 * where the authenticator must refuse it.
 */
class TlsClientsTest {

    static final String ID = "spiffe://example.org/ns/prod/sa/api";

    /** Refused by the JDK's TLS trust manager before the application sees the request. */
    static final Set<Defect> REFUSED_BY_TLS = EnumSet.of(Defect.SELF_SIGNED, Defect.NO_DIGITAL_SIGNATURE,
            Defect.NO_CLIENT_AUTH, Defect.EXPIRED, Defect.NOT_YET_VALID, Defect.UNRELATED_CA,
            Defect.UNRELATED_INTERMEDIATE, Defect.IMPOSTOR_CA, Defect.BAD_SIGNATURE, Defect.OTHER_TRUST_DOMAIN);

    static SpireEmulator spire;
    static ServerTls tls;
    static HttpsServer server;
    static URI url;

    @BeforeAll
    static void start() throws Exception {
        spire = SpireEmulator.builder().start();
        Path dir = TestDirs.fresh("tls-clients");
        tls = ServerTls.create(dir.resolve("tls"));
        Path bundle = dir.resolve("bundle.pem");
        spire.writeX509BundlePem(bundle);
        server = keycloakLikeServer(tls, bundle);
        url = URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        spire.close();
    }

    @Test
    void serverIdentity() throws Exception {
        X509Certificate cert = tls.certificate();
        cert.verify(tls.ca().getPublicKey());
        assertThat(cert.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(7, "127.0.0.1"), List.of(7, "0:0:0:0:0:0:0:1"), List.of(2, "localhost"));
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(tls.ca().getBasicConstraints()).isZero();
        assertThat(readCertificates(tls.caFile())).containsExactly(tls.ca());
        assertThat(readCertificates(tls.certificateFile())).containsExactly(cert);
        assertThat(Files.readString(tls.keyFile())).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void withoutClientCertificate() throws Exception {
        assertThat(get(tls.clientContext()).body()).isEqualTo("0");
    }

    @Test
    void withAnSvid() throws Exception {
        X509Svid svid = spire.mintX509Svid(ID);
        assertThat(get(tls.clientContext(svid.chain(), svid.privateKey())).body()).isEqualTo("1 " + ID);

        X509Svid rsa = spire.mintX509Svid(ID, Duration.ofMinutes(5), dev.svidauth.spire.KeyType.RSA_2048);
        assertThat(get(TlsClients.withClientCertificate(rsa.chain(), rsa.privateKey(), List.of(tls.ca()))).body())
                .isEqualTo("1 " + ID);
    }

    @Test
    void theServerIsVerified() {
        ServerTls stranger = ServerTls.create(TestDirs.fresh("tls-stranger"));
        assertThatThrownBy(() -> get(stranger.clientContext())).isInstanceOf(IOException.class);
    }

    @ParameterizedTest
    @EnumSource(Defect.class)
    void forgedChainsAreSentWhateverTheServerAccepts(Defect defect) throws Exception {
        X509Svid forged = spire.x509Forge().defective(defect, ID);
        SSLContext client = tls.clientContext(forged.chain(), forged.privateKey());
        if (REFUSED_BY_TLS.contains(defect)) {
            assertThatThrownBy(() -> get(client)).as(defect + " ends the handshake").isInstanceOf(IOException.class);
        } else {
            assertThat(get(client).body()).as(defect + " reaches the application")
                    .startsWith(forged.chain().size() + " ");
        }
    }

    static HttpResponse<String> get(SSLContext context) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A JDK HTTPS server with the server identity, the bundle as trust store and client authentication requested. */
    static HttpsServer keycloakLikeServer(ServerTls identity, Path trustStorePem) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", readKey(identity.keyFile()), new char[0], new Certificate[] {identity.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (X509Certificate ca : readCertificates(trustStorePem)) {
            trust.setCertificateEntry("ca" + i++, ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

        HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = getSSLContext().getDefaultSSLParameters();
                p.setWantClientAuth(true);
                params.setSSLParameters(p);
            }
        });
        s.createContext("/", ex -> {
            String answer;
            try {
                Certificate[] peer = ((HttpsExchange) ex).getSSLSession().getPeerCertificates();
                Collection<List<?>> sans = ((X509Certificate) peer[0]).getSubjectAlternativeNames();
                String uri = sans == null ? "-" : sans.stream().filter(n -> (Integer) n.get(0) == 6)
                        .map(n -> (String) n.get(1)).findFirst().orElse("-");
                answer = peer.length + " " + uri;
            } catch (SSLPeerUnverifiedException e) {
                answer = "0";
            } catch (java.security.cert.CertificateParsingException e) {
                answer = "unparsable";
            }
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        return s;
    }

    static List<X509Certificate> readCertificates(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(c -> (X509Certificate) c).toList();
        }
    }

    static PrivateKey readKey(Path pem) throws Exception {
        String b64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }
}
