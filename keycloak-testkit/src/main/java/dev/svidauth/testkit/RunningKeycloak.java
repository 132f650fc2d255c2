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

    /** Port of /health and /metrics on the loopback interface. */
    int managementPort();

    /** Admin REST helper, logged in as the bootstrap admin. */
    KeycloakAdmin admin();

    /** What the server has logged so far in this run. */
    String logText();

    @Override
    void close();
}
