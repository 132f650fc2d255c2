package dev.svidauth.it.support;

import dev.svidauth.testkit.LocalNginx;

/** Skips a test class that runs Keycloak behind nginx on a machine without Debian's nginx. */
public final class NginxAvailable extends MachineRequirement {

    public NginxAvailable() {
        super("nginx", LocalNginx::unavailableReason, "nginx present");
    }
}
