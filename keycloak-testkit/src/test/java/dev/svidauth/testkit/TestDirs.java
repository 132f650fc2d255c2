package dev.svidauth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Scratch directories under {@code target/}, so tests write nothing to the system temp directory. */
final class TestDirs {

    private TestDirs() {
    }

    static Path fresh(String name) {
        Path dir = Path.of("target", "unit-test-dirs", name).toAbsolutePath();
        try {
            DistArchive.deleteRecursively(dir);
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
