/**
 * Dynamic client registration of SVID clients: the {@code openid-connect} and {@code default}
 * registration providers, the {@code svid-registration} policy and the defaults it applies where a
 * realm has none ({@link dev.svidauth.keycloak.registration.RegistrationDefaultsAuth}).
 *
 * <p>Uses {@code runtime}, {@code trustdomain}, {@code client} and the core; no package uses it.
 */
package dev.svidauth.keycloak.registration;
