package dev.svidauth.it.support;

import dasniko.testcontainers.keycloak.KeycloakContainer;
import dev.svidauth.testkit.KeycloakAdmin;
import dev.svidauth.testkit.KeycloakServer;
import dev.svidauth.testkit.RunningKeycloak;
import org.testcontainers.utility.MountableFile;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The same Keycloak as {@link KeycloakServer}, run as the official container image through
 * testcontainers-keycloak: the drop-in JAR in {@code providers/}, the shipped realm imported.
 * Used with {@code ./mvnw verify -Ptestcontainers} where a Docker engine exists, started by
 * {@link TestcontainersRuntime}.
 */
public final class ContainerKeycloak implements RunningKeycloak {

    private final KeycloakContainer container;
    private KeycloakAdmin admin;

    private ContainerKeycloak(KeycloakContainer container) {
        this.container = container;
    }

    /** Starts Keycloak {@code version} with the JAR and realm file, {@code env} in its environment. */
    static ContainerKeycloak start(String version, Path providerJar, Path realmFile, Map<String, String> env) {
        KeycloakContainer c = new KeycloakContainer("quay.io/keycloak/keycloak:" + version)
                .withProviderLibsFrom(List.of(providerJar.toFile()))
                .withCopyFileToContainer(MountableFile.forHostPath(realmFile), "/opt/keycloak/data/import/svid-realm.json")
                .withAdminUsername(KeycloakServer.ADMIN_USERNAME)
                .withAdminPassword(KeycloakServer.ADMIN_PASSWORD);
        c.withEnv(env);
        c.withEnv("KC_LOG_LEVEL", "INFO,dev.svidauth:DEBUG");
        c.withEnv("KC_METRICS_ENABLED", "true");
        c.start();
        return new ContainerKeycloak(c);
    }

    @Override
    public URI baseUrl() {
        return URI.create(container.getAuthServerUrl().replaceAll("/$", ""));
    }

    @Override
    public int managementPort() {
        return URI.create(container.getMgmtServerUrl()).getPort();
    }

    @Override
    public synchronized KeycloakAdmin admin() {
        if (admin == null) {
            admin = new KeycloakAdmin(baseUrl(), KeycloakServer.ADMIN_USERNAME, KeycloakServer.ADMIN_PASSWORD);
        }
        return admin;
    }

    @Override
    public String logText() {
        return container.getLogs();
    }

    @Override
    public void close() {
        container.stop();
    }
}
