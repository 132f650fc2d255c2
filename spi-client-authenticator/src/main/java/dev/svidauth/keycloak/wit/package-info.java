/**
 * The {@code client-svid-wit} client authenticator: a WIT-SVID in the {@code OAuth-Client-Attestation}
 * header with its proof of possession in {@code OAuth-Client-Attestation-PoP}
 * (draft-ietf-oauth-spiffe-client-auth, draft-ietf-oauth-attestation-based-client-auth), verified
 * against the {@code wit-svid} keys of its trust domain's SPIFFE bundle; {@link dev.svidauth.keycloak.wit.WitKeyBinding}
 * hands the verified key's thumbprint to the token binding mapper of the claims-mapper module.
 *
 * <p>Uses {@code runtime}, {@code trustdomain}, {@code client} and the core; no package of this module uses it.
 */
package dev.svidauth.keycloak.wit;
