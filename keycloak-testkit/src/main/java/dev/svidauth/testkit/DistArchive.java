package dev.svidauth.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Unpacks the Keycloak distribution zip into a home directory, and reuses an earlier unpack of
 * the same zip. A marker file in the home directory records the zip's size, modification time
 * and SHA-256; it is written last, so an interrupted unpack is never reused.
 */
final class DistArchive {

    static final String MARKER_FILE = ".dist-marker";

    enum Decision {
        /** The home holds an unpack of this zip. */
        REUSE,
        /** Same size, other modification time (e.g. the zip was copied again): compare digests. */
        COMPARE_DIGEST,
        /** Missing, partial or different: unpack again. */
        UNPACK
    }

    private DistArchive() {
    }

    /** What to do, given the marker of the existing home (null if there is none) and the zip's size and mtime. */
    static Decision decide(Map<String, String> marker, long zipSize, long zipMtimeMillis) {
        if (marker == null || !String.valueOf(zipSize).equals(marker.get("size"))) {
            return Decision.UNPACK;
        }
        if (String.valueOf(zipMtimeMillis).equals(marker.get("mtime"))) {
            return Decision.REUSE;
        }
        return marker.containsKey("sha256") ? Decision.COMPARE_DIGEST : Decision.UNPACK;
    }

    static Map<String, String> parseMarker(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        return values;
    }

    static String markerText(String zipName, long size, long mtimeMillis, String sha256) {
        return "zip=" + zipName + "\nsize=" + size + "\nmtime=" + mtimeMillis + "\nsha256=" + sha256 + "\n";
    }

    /**
     * Makes {@code home} an unpack of {@code zip}.
     *
     * @return the marker text, which identifies the distribution (used in the build fingerprint)
     */
    static String ensureUnpacked(Path zip, Path home, Consumer<String> progress) {
        try {
            if (!Files.isRegularFile(zip)) {
                throw new IllegalStateException("Keycloak distribution zip not found: " + zip);
            }
            long size = Files.size(zip);
            long mtime = Files.getLastModifiedTime(zip).toMillis();
            Path markerFile = home.resolve(MARKER_FILE);
            Map<String, String> marker = Files.isRegularFile(markerFile)
                    ? parseMarker(Files.readString(markerFile, StandardCharsets.UTF_8))
                    : null;
            switch (decide(marker, size, mtime)) {
                case REUSE:
                    return Files.readString(markerFile, StandardCharsets.UTF_8);
                case COMPARE_DIGEST:
                    String digest = BuildFingerprint.sha256(zip);
                    if (digest.equals(marker.get("sha256"))) {
                        String text = markerText(zip.getFileName().toString(), size, mtime, digest);
                        Files.writeString(markerFile, text, StandardCharsets.UTF_8);
                        return text;
                    }
                    break;
                default:
                    break;
            }
            progress.accept("unpacking " + zip.getFileName() + " into " + home + "…");
            long started = System.nanoTime();
            deleteRecursively(home);
            Path staging = home.resolveSibling(home.getFileName() + ".unpacking");
            deleteRecursively(staging);
            unzipStrippingTopDirectory(zip, staging);
            makeScriptsExecutable(staging.resolve("bin"));
            String text = markerText(zip.getFileName().toString(), size, mtime, BuildFingerprint.sha256(zip));
            Files.writeString(staging.resolve(MARKER_FILE), text, StandardCharsets.UTF_8);
            Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
            progress.accept(String.format("unpacked in %.1f s", (System.nanoTime() - started) / 1e9));
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + zip + " into " + home, e);
        }
    }

    /** Extracts the zip; entries lose their first path element (the zip's {@code keycloak-x.y.z/} folder). */
    static void unzipStrippingTopDirectory(Path zip, Path target) throws IOException {
        Files.createDirectories(target);
        Path root = target.toAbsolutePath().normalize();
        try (ZipFile zipFile = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> entries = zipFile.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                int slash = name.indexOf('/');
                if (slash < 0 || slash == name.length() - 1) {
                    continue; // the top directory itself, or a file outside it
                }
                Path out = root.resolve(name.substring(slash + 1)).normalize();
                if (!out.startsWith(root)) {
                    throw new IOException("zip entry escapes the target directory: " + name);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    try (InputStream in = zipFile.getInputStream(entry)) {
                        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    private static void makeScriptsExecutable(Path bin) throws IOException {
        if (!Files.isDirectory(bin)) {
            throw new IOException("not a Keycloak distribution (no bin/): " + bin.getParent());
        }
        try (Stream<Path> files = Files.walk(bin)) {
            files.filter(f -> f.getFileName().toString().endsWith(".sh"))
                    .forEach(f -> f.toFile().setExecutable(true, false));
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
