/**
 * What outlives a request and what both client authenticators share: the
 * {@link dev.svidauth.keycloak.runtime.SvidAuthRuntime} (key-source cache and its fetch threads, client
 * index, verifiers, metrics), built from the provider options
 * ({@link dev.svidauth.keycloak.runtime.SvidAuthOptions}) by the {@code client-svid-jwt} factory and
 * found by every other provider the same way:
 *
 * <pre>{@code
 * SvidAuthRuntime runtime = SvidAuthRuntimes.of(session.getKeycloakSessionFactory()); // null while disabled
 * }</pre>
 *
 * <p>Also the one way out of an authentication ({@link dev.svidauth.keycloak.runtime.ClientAuthOutcome})
 * and what the two authenticator factories declare alike. Uses {@code client} and the core.
 */
package dev.svidauth.keycloak.runtime;
