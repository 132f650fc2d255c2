/**
 * Verifying SVIDs, the two kinds named alike as go-spiffe and java-spiffe do: for JWT-SVIDs
 * {@link dev.svidauth.svid.ParsedJwtSvid} (strict parse) and {@link dev.svidauth.svid.JwtSvidVerifier}
 * (issuer, audience, time, signature, replay), giving a {@link dev.svidauth.svid.VerifiedJwtSvid}; for
 * X.509-SVIDs {@link dev.svidauth.svid.X509SvidVerifier}, giving a {@link dev.svidauth.svid.VerifiedX509Svid}.
 *
 * <pre>{@code
 * ParsedJwtSvid svid = ParsedJwtSvid.parse(assertion);
 * VerifiedJwtSvid verified = verifier.verify(svid, policy, serverAudiences, keys, replay);
 * }</pre>
 *
 * <p>Uses {@code keys}, {@code spiffe} and {@code rejection}; knows nothing of Keycloak.
 */
package dev.svidauth.svid;
