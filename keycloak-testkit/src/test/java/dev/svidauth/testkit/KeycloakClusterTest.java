package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KeycloakClusterTest {

    @Test
    void theNewestClusterViewCounts() {
        String log = String.join("\n",
                "2026-12-01 15:33:58,941 INFO  [org.infinispan.CLUSTER] (executor-thread-1) ISPN000094: Received new cluster view"
                        + " for channel ISPN: [vm-38980(v=16.0.14)|0] (1) [vm-38980(v=16.0.14)]",
                "2026-12-01 15:36:10,001 INFO  [org.infinispan.CLUSTER] (jgroups-7) ISPN000094: Received new cluster view"
                        + " for channel ISPN: [vm-38980(v=16.0.14)|1] (2) [vm-38980(v=16.0.14), vm-41234(v=16.0.14)]",
                "2026-12-01 15:40:10,001 INFO  [org.infinispan.CLUSTER] (jgroups-7) ISPN000093: Node vm-41234 left");
        assertThat(KeycloakCluster.lastViewSize(log)).isEqualTo(2);
        assertThat(KeycloakCluster.lastViewSize(log + "\n... ISPN000094: Received new cluster view for channel ISPN:"
                + " [vm-38980(v=16.0.14)|2] (1) [vm-38980(v=16.0.14)]")).isEqualTo(1);
        assertThat(KeycloakCluster.lastViewSize("no view yet")).isZero();
    }

    @Test
    void aNodeStartsFromNodeZerosBuildWithoutItsData() throws Exception {
        Path dir = TestDirs.fresh("cluster-reuse");
        Path built = dir.resolve("node-0/keycloak");
        Files.createDirectories(built.resolve("lib/quarkus"));
        Files.createDirectories(built.resolve("data/import"));
        Files.writeString(built.resolve("lib/quarkus/app.dat"), "built");
        Files.writeString(built.resolve("data/import/r-realm.json"), "{}");
        Files.writeString(built.resolve(ServerLaunch.FINGERPRINT_FILE), "print-1");
        Path home = dir.resolve("node-1/keycloak");

        KeycloakCluster.reuseBuild(built, home);
        assertThat(home.resolve("lib/quarkus/app.dat")).hasContent("built");
        assertThat(home.resolve(ServerLaunch.FINGERPRINT_FILE)).hasContent("print-1");
        assertThat(home.resolve("data")).isDirectory();
        assertThat(home.resolve("data/import")).doesNotExist();

        // the same build already there: left alone
        Files.writeString(home.resolve("lib/quarkus/mine"), "x");
        KeycloakCluster.reuseBuild(built, home);
        assertThat(home.resolve("lib/quarkus/mine")).exists();

        // another build: replaced
        Files.writeString(built.resolve(ServerLaunch.FINGERPRINT_FILE), "print-2");
        KeycloakCluster.reuseBuild(built, home);
        assertThat(home.resolve("lib/quarkus/mine")).doesNotExist();
        assertThat(home.resolve(ServerLaunch.FINGERPRINT_FILE)).hasContent("print-2");
    }
}
