/**
 * The {@code client-svid-jwt} client authenticator: a JWT-SVID sent as {@code client_assertion}.
 * {@link dev.svidauth.keycloak.jwt.JwtSvidClientAuthenticatorFactory} owns the shared runtime;
 * {@link dev.svidauth.keycloak.jwt.JwtSvidVerification} runs steps 2 to 9 for the token endpoint and
 * for the diagnostics endpoint alike.
 *
 * <p>Uses {@code runtime}, {@code trustdomain}, {@code client} and the core; only {@code admin} uses it.
 */
package dev.svidauth.keycloak.jwt;
