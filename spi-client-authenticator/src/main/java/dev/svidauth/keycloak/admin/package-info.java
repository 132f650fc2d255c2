/**
 * The administrator's side: the diagnostics endpoint ({@code POST /admin/realms/{realm}/svid-auth/diagnose}),
 * the client validation run on every client save, and the admin console page of trust-domain entries.
 *
 * <p>Uses {@code jwt}, {@code runtime}, {@code trustdomain}, {@code client} and the core; no package uses it.
 */
package dev.svidauth.keycloak.admin;
