/**
 * What an SVID client is and how a request finds it: {@link dev.svidauth.keycloak.client.SvidMethod}
 * (which of the two authenticators a client uses), {@link dev.svidauth.keycloak.client.SvidClientConfig}
 * (its {@code svid.*} settings, read once per request and validated on save),
 * {@link dev.svidauth.keycloak.client.SvidClientResolver} with the SPIFFE ID index it consults, the
 * index's invalidation on this node and the others, the key-source URL rules, and
 * {@link dev.svidauth.keycloak.client.ClientBoundSvid}, the verified SVID handed to the claim mapper.
 *
 * <p>Uses only the core; every other glue package may use it.
 */
package dev.svidauth.keycloak.client;
