package dev.svidauth.testkit;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * {@link SSLContext}s for {@link java.net.http.HttpClient} (or any JSSE client) that trust only the
 * given certificates, with or without a client certificate to present.
 *
 * <p>The client certificate is presented whatever the server names as acceptable issuers: the
 * JDK's own key managers pick a certificate only when its issuer is among those the server's
 * CertificateRequest lists, so a self-signed, foreign or otherwise forged chain would silently
 * not be sent, and an attack test would test nothing. Here the chain is sent whenever its key
 * type fits the handshake.
 *
 * <pre>{@code
 * SSLContext tls = TlsClients.withClientCertificate(svid.chain(), svid.privateKey(), List.of(kc.serverTls().ca()));
 * HttpClient http = HttpClient.newBuilder().sslContext(tls).build();
 * }</pre>
 */
public final class TlsClients {

    private static final String ALIAS = "client";

    private TlsClients() {
    }

    /**
     * Presents {@code chain} (leaf first) with {@code key} when the server asks for a client
     * certificate, and trusts servers whose chain leads to one of {@code trusted}.
     */
    public static SSLContext withClientCertificate(List<X509Certificate> chain, PrivateKey key,
                                                   Collection<X509Certificate> trusted) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a client chain has at least its leaf");
        }
        return context(new KeyManager[] {new PresentingKeyManager(chain, Objects.requireNonNull(key, "key"))}, trusted);
    }

    /** Presents no client certificate; trusts servers whose chain leads to one of {@code trusted}. */
    public static SSLContext withoutClientCertificate(Collection<X509Certificate> trusted) {
        return context(new KeyManager[0], trusted);
    }

    private static SSLContext context(KeyManager[] keyManagers, Collection<X509Certificate> trusted) {
        try {
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            int i = 0;
            for (X509Certificate cert : trusted) {
                anchors.setCertificateEntry("trusted-" + i++, cert);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(anchors);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS client context", e);
        }
    }

    /** Offers its one chain for every client-side request whose key types include the key's. */
    private static final class PresentingKeyManager extends X509ExtendedKeyManager {
        private final X509Certificate[] chain;
        private final PrivateKey key;

        PresentingKeyManager(List<X509Certificate> chain, PrivateKey key) {
            this.chain = chain.toArray(X509Certificate[]::new);
            this.key = key;
        }

        private String alias(String[] keyTypes) {
            return keyTypes != null && Arrays.asList(keyTypes).contains(key.getAlgorithm()) ? ALIAS : null;
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return alias(keyTypes);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return alias(keyTypes);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return keyType.equals(key.getAlgorithm()) ? new String[] {ALIAS} : null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
