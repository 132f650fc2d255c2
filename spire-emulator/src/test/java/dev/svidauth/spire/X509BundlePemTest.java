package dev.svidauth.spire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trust domain's X.509 bundle as a PEM file, kept current as spiffe-helper keeps its bundle file. */
class X509BundlePemTest {

    @Test
    void writesEveryPublishedAuthority(@TempDir Path dir) throws Exception {
        try (SpireEmulator spire = SpireEmulator.builder().x509AutoRotation(false).start()) {
            spire.prepareX509Rotation();
            Path file = dir.resolve("bundle.pem");

            spire.writeX509BundlePem(file);

            assertThat(Certs.parseAll(Files.readString(file))).containsExactlyElementsOf(spire.x509Authorities()).hasSize(2);
            assertThat(Files.readString(file)).isEqualTo(spire.x509BundlePem()).startsWith("-----BEGIN CERTIFICATE-----\n");
        }
    }

    @Test
    void keptFileFollowsExplicitRotation(@TempDir Path dir) throws Exception {
        try (SpireEmulator spire = SpireEmulator.builder().x509AutoRotation(false).start()) {
            Path file = dir.resolve("tls").resolve("bundle.pem");
            spire.keepX509BundlePemUpdated(file);
            assertThat(authorities(file)).containsExactlyElementsOf(spire.x509Authorities()).hasSize(1);

            spire.rotateX509Authority();
            assertThat(authorities(file)).as("rewritten at once").containsExactlyElementsOf(spire.x509Authorities()).hasSize(2);

            spire.close();
            String closed = Files.readString(file);
            spire.rotateX509Authority();
            assertThat(Files.readString(file)).as("no updates after close").isEqualTo(closed);
            try (var files = Files.list(file.getParent())) {
                assertThat(files).containsExactly(file);
            }
        }
    }

    /** With automatic rotation a background check finds the preparation time even when nothing calls the emulator. */
    @Test
    void keptFileFollowsTheClock(@TempDir Path dir) throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-07-01T00:00:00Z"));
        try (SpireEmulator spire = SpireEmulator.builder().clock(clock).start()) {
            Path file = dir.resolve("bundle.pem");
            spire.keepX509BundlePemUpdated(file);
            X509Certificate first = authorities(file).get(0);

            clock.advance(Duration.ofHours(13));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (authorities(file).size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(authorities(file)).hasSize(2).startsWith(first);
        }
    }

    private static List<X509Certificate> authorities(Path file) throws Exception {
        return Certs.parseAll(Files.readString(file));
    }
}
