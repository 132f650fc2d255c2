package dev.svidauth.keycloak.runtime;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSessionFactory;

/**
 * The runtime of an authenticator factory other than {@code client-svid-jwt}: the shared one
 * ({@link SvidAuthRuntimes#of}: {@code client-svid-jwt}'s, or the one another SVID factory built
 * before this one) whenever there is one, else one of its own, built from this factory's options,
 * started here and closed with the factory, which the factories attaching later share. Only a
 * runtime built here is closed here: the shared one belongs to its owner.
 */
public final class BorrowedRuntime {

    private volatile SvidAuthRuntime runtime;
    private boolean own;

    /** Called from the factory's {@code postInit}, once every factory exists. */
    public void attach(Config.Scope config, KeycloakSessionFactory factory) {
        SvidAuthRuntime shared = SvidAuthRuntimes.of(factory);
        if (shared != null) {
            runtime = shared;
            return;
        }
        runtime = new SvidAuthRuntime(SvidAuthOptions.read(config));
        own = true;
        SvidAuthRuntimes.start(runtime, factory);
    }

    /** The runtime in use; null before {@link #attach}. */
    public SvidAuthRuntime get() {
        return runtime;
    }

    /** Closes the runtime if {@link #attach} built it. */
    public void close() {
        if (own && runtime != null) {
            runtime.close();
        }
    }
}
