package dev.svidauth.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Decides whether {@code kc.sh build} must run again. The fingerprint names everything the
 * optimized server image depends on: the unpacked distribution, the build options (features
 * included), and the content and file time of every installed provider JAR (Keycloak's optimized
 * start refuses to run when a provider JAR's file time differs from the one it was built with).
 * It is written after a successful build and compared before the next start.
 */
final class BuildFingerprint {

    private BuildFingerprint() {
    }

    /**
     * The fingerprint text.
     *
     * @param distIdentity what identifies the unpacked distribution (its marker text)
     * @param buildOptions the options passed to {@code kc.sh build}, in order
     * @param providerJars the JARs in {@code providers/}
     */
    static String of(String distIdentity, List<String> buildOptions, List<Path> providerJars) {
        StringBuilder text = new StringBuilder();
        text.append("dist: ").append(distIdentity.strip().replace('\n', ' ')).append('\n');
        text.append("build-options: ").append(String.join(" ", buildOptions)).append('\n');
        providerJars.stream()
                .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                .forEach(jar -> text.append("provider: ")
                        .append(jar.getFileName())
                        .append(" sha256=")
                        .append(sha256(jar))
                        .append(" modified=")
                        .append(modified(jar))
                        .append('\n'));
        return text.toString();
    }

    /** True when no fingerprint was stored or the stored one differs from {@code expected}. */
    static boolean needsBuild(Path fingerprintFile, String expected) {
        if (!Files.isRegularFile(fingerprintFile)) {
            return true;
        }
        try {
            return !Files.readString(fingerprintFile, StandardCharsets.UTF_8).equals(expected);
        } catch (IOException e) {
            return true;
        }
    }

    static void write(Path fingerprintFile, String fingerprint) {
        try {
            Files.writeString(fingerprintFile, fingerprint, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + fingerprintFile, e);
        }
    }

    static void forget(Path fingerprintFile) {
        try {
            Files.deleteIfExists(fingerprintFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + fingerprintFile, e);
        }
    }

    /** A file's modification time in milliseconds, as Keycloak compares it. */
    static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the file time of " + file, e);
        }
    }

    /** Hex SHA-256 of a file's content. */
    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
