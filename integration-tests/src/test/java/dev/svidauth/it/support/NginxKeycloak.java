package dev.svidauth.it.support;

import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.testkit.KeycloakServer;
import dev.svidauth.testkit.LocalNginx;
import dev.svidauth.testkit.ServerTls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static dev.svidauth.testkit.SystemProperties.required;

/**
 * A Keycloak behind a TLS-terminating nginx, with Keycloak's {@code nginx} certificate lookup, for
 * the proxy-mode X.509-SVID tests: the SPIRE emulator the realm-export expects, the server (in
 * one work directory for every such class, so that a later start needs no second build), nginx
 * with its TLS material. With {@code trustProxy}, {@code --proxy-trusted-addresses} names nginx's
 * upstream address ({@code X509ProxyIT}); without, the option is left unset, the mistake
 * {@code X509ProxyTrustIT} is about. Closing stops all three.
 */
public final class NginxKeycloak implements AutoCloseable {

    public final SpireEmulator spire;
    public final KeycloakServer keycloak;
    public final LocalNginx nginx;
    public final ServerTls tls;

    private NginxKeycloak(SpireEmulator spire, KeycloakServer keycloak, LocalNginx nginx, ServerTls tls) {
        this.spire = spire;
        this.keycloak = keycloak;
        this.nginx = nginx;
        this.tls = tls;
    }

    public static NginxKeycloak start(boolean trustProxy) throws IOException {
        String label = trustProxy ? "keycloak-nginx" : "keycloak-nginx-untrusted";
        Path work = Path.of(required("keycloak.work.dir")).resolveSibling("keycloak-nginx");
        SpireEmulator spire = SpireEmulator.builder().trustDomain(SvidRealm.TRUST_DOMAIN).issuer(SpireEmulator.SELF).x509Authority(true).start();
        KeycloakServer keycloak = null;
        try {
            KeycloakServer.Builder builder = KeycloakServer.builder()
                    .distZip(Path.of(required("keycloak.dist.zip")))
                    .workDir(work)
                    .providerJar(Path.of(required("svid.provider.jar")))
                    .importRealm(Path.of(required("svid.realm.file")))
                    .env(SvidRealm.realmExportEnvironment(spire))
                    // Keycloak's nginx lookup: the certificate from the header. Without a truststore it
                    // cannot (and need not) rebuild a chain: it hands on the leaf, which the SPIFFE bundle
                    // verifies; it says so at WARN on every request, hence the log level.
                    .buildOption("--spi-x509cert-lookup--provider=nginx")
                    .option("--spi-x509cert-lookup--provider=nginx")
                    .option("--spi-x509cert-lookup--nginx--ssl-client-cert=" + LocalNginx.CERT_HEADER)
                    .option("--proxy-headers=xforwarded")
                    .option("--log-level=INFO,dev.svidauth:DEBUG,org.keycloak.services.x509.NginxProxySslClientCertificateLookup:error")
                    .startTimeout(Duration.ofMinutes(5))
                    .progress(line -> System.out.println("[" + label + "] " + line));
            if (trustProxy) {
                // only nginx (its upstream address) may send the header
                builder.option("--proxy-trusted-addresses=" + LocalNginx.UPSTREAM_SOURCE);
            }
            keycloak = builder.start();
            ServerTls tls = ServerTls.create(Files.createDirectories(work.resolve("nginx-tls")));
            LocalNginx nginx = LocalNginx.start(tls.certificateFile(), tls.keyFile(), "127.0.0.1:" + keycloak.httpPort());
            System.out.println("[nginx] " + nginx.baseUrl() + " -> " + keycloak.baseUrl());
            return new NginxKeycloak(spire, keycloak, nginx, tls);
        } catch (RuntimeException | IOException e) {
            if (keycloak != null) {
                keycloak.close();
            }
            spire.close();
            throw e;
        }
    }

    @Override
    public void close() {
        nginx.close();
        keycloak.close();
        spire.close();
    }
}
