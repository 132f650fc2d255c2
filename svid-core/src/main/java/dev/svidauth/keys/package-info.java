/**
 * Key sources: {@link dev.svidauth.keys.KeySourceCache} (one entry per URL: refresh, last-known-good
 * keys, rate-limited refetch on an unknown {@code kid}), {@link dev.svidauth.keys.KeySetParser} (JWKS
 * and SPIFFE bundles, their X.509 authorities included), {@link dev.svidauth.keys.KeySourceAddressGuard}
 * and {@link dev.svidauth.keys.VerificationKey}. The fetching itself is a
 * {@link dev.svidauth.keys.KeyFetcher} the caller supplies (inside Keycloak: over its HTTP client).
 * Raises only {@link dev.svidauth.keys.KeySourceException}.
 *
 * <p>Uses {@code rejection} only.
 */
package dev.svidauth.keys;
