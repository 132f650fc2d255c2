package dev.svidauth.it.support;

import dev.svidauth.testkit.RunningKeycloak;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.Testcontainers;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@link ContainerRuntime} through testcontainers-keycloak ({@link ContainerKeycloak}); listed in
 * {@code META-INF/services} of {@code src/test-containers}, found by {@link ContainerRuntime#find()}.
 */
public final class TestcontainersRuntime implements ContainerRuntime {

    /** How the container reaches services of the test JVM (the SPIRE emulators). */
    public static final String HOST_ALIAS = "host.testcontainers.internal";

    @Override
    public boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String hostAlias() {
        return HOST_ALIAS;
    }

    @Override
    public void exposeHostPort(int port) {
        Testcontainers.exposeHostPorts(port);
    }

    @Override
    public RunningKeycloak start(String version, Path providerJar, Path realmFile, Map<String, String> env) {
        return ContainerKeycloak.start(version, providerJar, realmFile, env);
    }
}
