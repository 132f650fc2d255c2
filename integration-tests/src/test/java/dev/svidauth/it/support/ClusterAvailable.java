package dev.svidauth.it.support;

import dev.svidauth.testkit.KeycloakCluster;

/**
 * Skips a cluster test class on a machine without PostgreSQL server binaries: the cluster's
 * JDBC-PING discovery needs the shared database. Debian: {@code apt-get install postgresql}.
 */
public final class ClusterAvailable extends MachineRequirement {

    public ClusterAvailable() {
        super("cluster", KeycloakCluster::unavailableReason, "PostgreSQL server binaries present");
    }
}
