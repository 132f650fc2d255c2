package dev.svidauth.testkit;

import java.net.URI;

/**
 * A Keycloak server the tests talk to, however it was started: from the distribution zip
 * ({@link KeycloakServer}, the default) or as a container where a Docker engine exists.
 */
public interface RunningKeycloak extends AutoCloseable {

    /** e.g. {@code http://127.0.0.1:8080}. */
    URI baseUrl();

    default URI realmUrl(String realm) {
        return URI.create(baseUrl() + "/realms/" + realm);
    }

    default URI tokenEndpoint(String realm) {
        return URI.create(realmUrl(realm) + "/protocol/openid-connect/token");
    }

    /** Whether the server has an HTTPS listener next to the HTTP one. */
    default boolean httpsEnabled() {
        return false;
    }

    /**
     * e.g. {@code https://127.0.0.1:8443}.
     *
     * @throws IllegalStateException without an HTTPS listener
     */
    default URI httpsBaseUrl() {
        throw new IllegalStateException("this Keycloak has no HTTPS listener");
    }

    /** {@code <httpsBaseUrl>/realms/<realm>}. */
    default URI httpsRealmUrl(String realm) {
        return URI.create(httpsBaseUrl() + "/realms/" + realm);
    }

    /** {@code <httpsBaseUrl>/realms/<realm>/protocol/openid-connect/token}. */
    default URI httpsTokenEndpoint(String realm) {
        return URI.create(httpsRealmUrl(realm) + "/protocol/openid-connect/token");
    }

    /**
     * The HTTPS listener's throwaway server CA and certificate; clients trust its {@link ServerTls#ca()}.
     *
     * @throws IllegalStateException without an HTTPS listener
     */
    default ServerTls serverTls() {
        throw new IllegalStateException("this Keycloak has no HTTPS listener");
    }

    /** Port of /health and /metrics on the loopback interface. */
    int managementPort();

    /** Admin REST helper, logged in as the bootstrap admin. */
    KeycloakAdmin admin();

    /** What the server has logged so far in this run. */
    String logText();

    @Override
    void close();
}
