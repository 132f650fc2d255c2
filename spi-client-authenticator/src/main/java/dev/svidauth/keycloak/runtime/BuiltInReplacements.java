package dev.svidauth.keycloak.runtime;

import dev.svidauth.keycloak.client.SvidMethod;
import org.keycloak.Config;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * Which Keycloak built-ins the JAR replaces, as two options of {@code client-svid-jwt}
 * ({@code --spi-client-authenticator--client-svid-jwt--replace-client-validation},
 * {@code …--replace-client-registration}), both {@code true} by default:
 * <ul>
 *   <li>{@link #clientValidation}: the client validation provider (Keycloak's own checks plus the
 *       {@code svid.*} checks on every client save). Off: the factory hands out Keycloak's own
 *       {@code DefaultClientValidationProvider}, so bad {@code svid.*} settings are stored and
 *       refused only at request time ({@code client_misconfigured}).</li>
 *   <li>{@link #clientRegistration}: the {@code openid-connect} and {@code default} client
 *       registration providers (SPIFFE client metadata, and the {@code svid-registration} policy's
 *       defaults where a realm has no component of it). Off: the factories hand out Keycloak's own
 *       providers unchanged.</li>
 * </ul>
 * Keycloak picks the provider of an SPI and of an id when the server is built ({@code kc.sh build}),
 * so a run-time option cannot take the replacing factories out; they stay registered under the
 * same ids and serve Keycloak's own provider classes instead. The options are read by each
 * replacing factory from this provider's scope ({@link #ofServer()}), so that one option family
 * holds every server option of the JAR, and shown in {@code client-svid-jwt}'s Server Info.
 *
 * @param clientValidation   whether the svid-auth client validation provider serves
 * @param clientRegistration whether the svid-auth {@code openid-connect} and {@code default}
 *                           registration providers serve
 */
public record BuiltInReplacements(boolean clientValidation, boolean clientRegistration) {

    public static final String CLIENT_VALIDATION = "replace-client-validation";
    public static final String CLIENT_REGISTRATION = "replace-client-registration";

    /** Both replacements on: the behaviour of every release so far. */
    public static final BuiltInReplacements DEFAULTS = new BuiltInReplacements(true, true);

    /** Keycloak's name of the client authenticator SPI, the first part of the options' scope. */
    private static final String CLIENT_AUTHENTICATOR_SPI = "client-authenticator";

    /** The options set in {@code config} (the scope of {@code client-svid-jwt}); defaults for the others. */
    public static BuiltInReplacements read(Config.Scope config) {
        return new BuiltInReplacements(config.getBoolean(CLIENT_VALIDATION, DEFAULTS.clientValidation),
                config.getBoolean(CLIENT_REGISTRATION, DEFAULTS.clientRegistration));
    }

    /** The options as the server sets them for {@code client-svid-jwt}, whichever factory asks. */
    public static BuiltInReplacements ofServer() {
        return read(Config.scope(CLIENT_AUTHENTICATOR_SPI, SvidMethod.JWT.providerId()));
    }

    /** Declares both options (name, type, default, help) for {@link SvidAuthOptions#metadata()}. */
    static ProviderConfigurationBuilder declare(ProviderConfigurationBuilder builder) {
        return builder
                .property().name(CLIENT_VALIDATION).type("boolean").defaultValue(DEFAULTS.clientValidation)
                .helpText("Replace Keycloak's client validation provider with svid-auth's, which runs Keycloak's checks and"
                        + " then checks the svid.* settings and the trust-domain rules on every client save (admin console,"
                        + " admin REST API, client registration). false: Keycloak's own serves; bad svid.* settings are"
                        + " stored and refused at request time (client_misconfigured).").add()
                .property().name(CLIENT_REGISTRATION).type("boolean").defaultValue(DEFAULTS.clientRegistration)
                .helpText("Replace Keycloak's openid-connect and default client registration providers with svid-auth's,"
                        + " which add the SPIFFE client metadata (spiffe_id, spiffe_bundle_endpoint) and apply the"
                        + " svid-registration policy's defaults where a realm has no component of it. false: Keycloak's"
                        + " own serve; registering an SVID client needs the default endpoint, and the policy applies only"
                        + " where a realm adds it.").add();
    }
}
