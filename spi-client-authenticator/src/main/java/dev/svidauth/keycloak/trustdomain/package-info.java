/**
 * The realm's trust-domain entries ({@code svid-trust-domain} components):
 * {@link dev.svidauth.keycloak.trustdomain.TrustDomainEntry} (key source, issuer pin and defaults of
 * one trust domain), {@link dev.svidauth.keycloak.trustdomain.TrustDomainAuthority} (the entry as the
 * trust domain's authority over client key sources and shared SPIFFE IDs) and
 * {@link dev.svidauth.keycloak.trustdomain.KeySourceSelection} (step 4b: whose key source verifies an SVID).
 *
 * <p>Uses {@code client} and the core.
 */
package dev.svidauth.keycloak.trustdomain;
