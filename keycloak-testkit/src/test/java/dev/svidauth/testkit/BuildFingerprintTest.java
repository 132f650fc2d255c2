package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BuildFingerprintTest {

    private static final String DIST = "zip=keycloak.zip\nsize=1\nmtime=2\nsha256=ab\n";
    private static final List<String> OPTIONS = List.of("--health-enabled=true", "--db=dev-file");

    private Path dir;
    private Path jar;

    @BeforeEach
    void setUp() throws Exception {
        dir = TestDirs.fresh("fingerprint");
        jar = Files.write(dir.resolve("svid-auth.jar"), new byte[] {1, 2, 3});
    }

    @Test
    void sameInputsSameFingerprint() {
        assertThat(BuildFingerprint.of(DIST, OPTIONS, List.of(jar)))
                .isEqualTo(BuildFingerprint.of(DIST, OPTIONS, List.of(jar)))
                .contains("svid-auth.jar sha256=" + BuildFingerprint.sha256(jar));
    }

    @Test
    void changesWithProviderContent() throws Exception {
        String before = BuildFingerprint.of(DIST, OPTIONS, List.of(jar));
        Files.write(jar, new byte[] {1, 2, 4});
        assertThat(BuildFingerprint.of(DIST, OPTIONS, List.of(jar))).isNotEqualTo(before);
    }

    /** The same bytes copied again: Keycloak's optimized start compares file times, so it needs a build too. */
    @Test
    void changesWithProviderFileTime() throws Exception {
        String before = BuildFingerprint.of(DIST, OPTIONS, List.of(jar));
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
        assertThat(BuildFingerprint.of(DIST, OPTIONS, List.of(jar))).isNotEqualTo(before);
    }

    @Test
    void changesWithProvidersAddedOrRemoved() {
        assertThat(BuildFingerprint.of(DIST, OPTIONS, List.of()))
                .isNotEqualTo(BuildFingerprint.of(DIST, OPTIONS, List.of(jar)));
    }

    @Test
    void changesWithOptionsAndFeaturesAndDistribution() {
        String base = BuildFingerprint.of(DIST, OPTIONS, List.of(jar));
        List<String> withFeature = List.of("--health-enabled=true", "--db=dev-file", "--features=spiffe");
        assertThat(BuildFingerprint.of(DIST, withFeature, List.of(jar))).isNotEqualTo(base);
        assertThat(BuildFingerprint.of(DIST.replace("mtime=2", "mtime=3"), OPTIONS, List.of(jar))).isNotEqualTo(base);
    }

    @Test
    void providerOrderDoesNotMatter() throws Exception {
        Path other = Files.write(dir.resolve("another.jar"), new byte[] {9});
        assertThat(BuildFingerprint.of(DIST, OPTIONS, List.of(jar, other)))
                .isEqualTo(BuildFingerprint.of(DIST, OPTIONS, List.of(other, jar)));
    }

    @Test
    void rebuildDecision() {
        Path file = dir.resolve(".build-fingerprint");
        String fingerprint = BuildFingerprint.of(DIST, OPTIONS, List.of(jar));

        assertThat(BuildFingerprint.needsBuild(file, fingerprint)).as("never built").isTrue();

        BuildFingerprint.write(file, fingerprint);
        assertThat(BuildFingerprint.needsBuild(file, fingerprint)).as("unchanged").isFalse();
        assertThat(BuildFingerprint.needsBuild(file, fingerprint + "provider: x.jar sha256=00\n"))
                .as("changed").isTrue();

        BuildFingerprint.forget(file);
        assertThat(BuildFingerprint.needsBuild(file, fingerprint)).as("forgotten (build started, not finished)").isTrue();
    }
}
