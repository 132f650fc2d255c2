package dev.svidauth.it.support;

import dev.svidauth.testkit.RunningKeycloak;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The shared Keycloak as the official container image ({@code ./mvnw verify -Ptestcontainers})
 * instead of the distribution zip. The implementation and its {@code META-INF/services} file live
 * in {@code src/test-containers}, which only that profile compiles, so the default build needs no
 * container library; {@link #find()} finds it there.
 */
public interface ContainerRuntime {

    /** The runtime {@code -Ptestcontainers} put on the test class path, if it did. */
    static Optional<ContainerRuntime> find() {
        return ServiceLoader.load(ContainerRuntime.class).findFirst();
    }

    /** Whether a Docker engine answers; without one the container runtime is skipped. */
    boolean dockerAvailable();

    /** The host name under which the container reaches services of the test JVM (the SPIRE emulators). */
    String hostAlias();

    /** Makes {@code port} of the test JVM reachable from the container as {@link #hostAlias()}. */
    void exposeHostPort(int port);

    /**
     * Starts Keycloak {@code version} with the drop-in JAR in {@code providers/}, {@code realmFile}
     * imported and {@code env} in its environment.
     */
    RunningKeycloak start(String version, Path providerJar, Path realmFile, Map<String, String> env);
}
