/**
 * The {@code client-svid-x509} client authenticator: an X.509-SVID presented as TLS client
 * certificate, verified against the X.509 authorities of its trust domain's SPIFFE bundle, and
 * {@link dev.svidauth.keycloak.x509.ProxyCertificateTrust}, whether a certificate a proxy forwards may
 * be used.
 *
 * <p>Uses {@code runtime}, {@code trustdomain}, {@code client} and the core; no package uses it.
 */
package dev.svidauth.keycloak.x509;
