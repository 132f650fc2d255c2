package dev.svidauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.svidauth.testkit.DistArchive.Decision;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DistArchiveTest {

    private Path dir;
    private Path zip;
    private Path home;
    private final List<String> progress = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = TestDirs.fresh("dist");
        zip = dir.resolve("keycloak-quarkus-dist-1.0.zip");
        home = dir.resolve("work").resolve("keycloak");
        writeZip(zip, "echo 1");
    }

    @Test
    void decision() {
        Map<String, String> marker = DistArchive.parseMarker(DistArchive.markerText("k.zip", 10, 20, "abc"));

        assertThat(DistArchive.decide(null, 10, 20)).isEqualTo(Decision.UNPACK);
        assertThat(DistArchive.decide(marker, 10, 20)).isEqualTo(Decision.REUSE);
        assertThat(DistArchive.decide(marker, 11, 20)).isEqualTo(Decision.UNPACK);
        assertThat(DistArchive.decide(marker, 10, 21)).isEqualTo(Decision.COMPARE_DIGEST);
        assertThat(DistArchive.decide(Map.of("size", "10", "mtime", "20"), 10, 21)).isEqualTo(Decision.UNPACK);
    }

    @Test
    void unpacksWithoutTopDirectoryAndMakesScriptsExecutable() throws Exception {
        String marker = DistArchive.ensureUnpacked(zip, home, progress::add);

        assertThat(home.resolve("bin/kc.sh")).hasContent("echo 1");
        assertThat(Files.isExecutable(home.resolve("bin/kc.sh"))).isTrue();
        assertThat(home.resolve("lib/quarkus-run.jar")).exists();
        assertThat(home.resolve("keycloak-1.0")).doesNotExist();
        assertThat(marker).contains("size=" + Files.size(zip));
        assertThat(progress).anyMatch(line -> line.startsWith("unpacking"));
    }

    @Test
    void reusesAnUnpackOfTheSameZip() throws Exception {
        DistArchive.ensureUnpacked(zip, home, progress::add);
        Files.writeString(home.resolve("bin/extra"), "left by a build");
        progress.clear();

        DistArchive.ensureUnpacked(zip, home, progress::add);

        assertThat(progress).isEmpty();
        assertThat(home.resolve("bin/extra")).exists();
    }

    @Test
    void reusesWhenOnlyTheModificationTimeChanged() throws Exception {
        DistArchive.ensureUnpacked(zip, home, progress::add);
        Files.setLastModifiedTime(zip, FileTime.fromMillis(Files.getLastModifiedTime(zip).toMillis() + 60_000));
        progress.clear();

        String marker = DistArchive.ensureUnpacked(zip, home, progress::add);

        assertThat(progress).isEmpty();
        assertThat(marker).contains("mtime=" + Files.getLastModifiedTime(zip).toMillis());
    }

    @Test
    void unpacksAgainForAnotherZip() throws Exception {
        DistArchive.ensureUnpacked(zip, home, progress::add);
        Files.writeString(home.resolve("bin/extra"), "left by a build");
        writeZip(zip, "echo 2");
        progress.clear();

        DistArchive.ensureUnpacked(zip, home, progress::add);

        assertThat(progress).anyMatch(line -> line.startsWith("unpacking"));
        assertThat(home.resolve("bin/kc.sh")).hasContent("echo 2");
        assertThat(home.resolve("bin/extra")).doesNotExist();
    }

    @Test
    void unpacksAgainAfterAnInterruptedUnpack() throws Exception {
        DistArchive.ensureUnpacked(zip, home, progress::add);
        Files.delete(home.resolve(DistArchive.MARKER_FILE));
        progress.clear();

        DistArchive.ensureUnpacked(zip, home, progress::add);

        assertThat(progress).anyMatch(line -> line.startsWith("unpacking"));
    }

    @Test
    void missingZip() {
        assertThatThrownBy(() -> DistArchive.ensureUnpacked(dir.resolve("nope.zip"), home, progress::add))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nope.zip");
    }

    @Test
    void refusesEntriesOutsideTheTarget() throws Exception {
        Path evil = dir.resolve("evil.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(evil))) {
            out.putNextEntry(new ZipEntry("keycloak-1.0/../../escaped.txt"));
            out.write(1);
            out.closeEntry();
        }
        assertThatThrownBy(() -> DistArchive.unzipStrippingTopDirectory(evil, dir.resolve("target")))
                .hasMessageContaining("escapes");
    }

    private static void writeZip(Path zip, String script) throws Exception {
        try (OutputStream file = Files.newOutputStream(zip); ZipOutputStream out = new ZipOutputStream(file)) {
            out.putNextEntry(new ZipEntry("keycloak-1.0/"));
            out.closeEntry();
            out.putNextEntry(new ZipEntry("keycloak-1.0/bin/"));
            out.closeEntry();
            out.putNextEntry(new ZipEntry("keycloak-1.0/bin/kc.sh"));
            out.write(script.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            out.putNextEntry(new ZipEntry("keycloak-1.0/lib/quarkus-run.jar"));
            out.write(new byte[] {1, 2, 3});
            out.closeEntry();
        }
    }
}
