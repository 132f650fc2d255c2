package dev.svidauth.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pure core ({@code rejection}, {@code spiffe}, {@code keys}, {@code svid}) knows nothing of
 * Keycloak, and its packages depend on each other in one direction only:
 *
 * <pre>
 *   keycloak ──► svid ──► keys ──► rejection
 *                  └────► spiffe ─┘
 * </pre>
 *
 * Checked on the main sources by what they reference in code (imports and qualified names;
 * comments and string literals do not count).
 */
class CoreBoundaryTest {

    /** For each core package, the project packages it may use. */
    static final Map<String, Set<String>> ALLOWED = Map.of(
            "rejection", Set.of(),
            "spiffe", Set.of("rejection"),
            "keys", Set.of("rejection"),
            "svid", Set.of("rejection", "spiffe", "keys"));

    /** Outside libraries the core must not use: Keycloak and the server it runs in. */
    static final List<String> FORBIDDEN_PREFIXES = List.of("org.keycloak.", "jakarta.", "io.micrometer.",
            "org.apache.http.", "io.quarkus.", "org.hibernate.");

    private static final Pattern PROJECT_REFERENCE = Pattern.compile("\\bdev\\.svidauth\\.([a-z]+)\\.");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("\\b[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)+\\.");

    @Test
    void coreDependsOnlyInOneDirectionAndNeverOnKeycloak() {
        Path root = Paths.get("src/main/java/dev/svidauth");
        assertThat(root).isDirectory();
        List<String> violations = new ArrayList<>();
        for (String pkg : ALLOWED.keySet()) {
            Path dir = root.resolve(pkg);
            assertThat(dir).as("core package " + pkg).isDirectory();
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(f -> f.toString().endsWith(".java"))
                        .forEach(f -> violations.addAll(violations(pkg, f.getFileName().toString(), read(f))));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void checkerFindsForbiddenReferencesInCodeOnly() {
        String source = """
                package dev.svidauth.keys;

                import dev.svidauth.svid.ParsedSvid;
                import dev.svidauth.rejection.Printable;
                import org.keycloak.models.RealmModel;

                /** Mentions {@link dev.svidauth.keycloak.SvidClientAuthenticator} in a comment only. */
                final class Sample {
                    String s = "dev.svidauth.keycloak.X and org.keycloak.Y in a string";
                    jakarta.ws.rs.core.Response r; // org.keycloak.Z in a line comment
                }
                """;
        assertThat(violations("keys", "Sample.java", source)).containsExactlyInAnyOrder(
                "keys/Sample.java uses dev.svidauth.svid",
                "keys/Sample.java uses org.keycloak.",
                "keys/Sample.java uses jakarta.");
        assertThat(violations("svid", "Sample.java", source.replace("dev.svidauth.svid.ParsedSvid", "dev.svidauth.keys.KeySet")))
                .containsExactlyInAnyOrder("svid/Sample.java uses org.keycloak.", "svid/Sample.java uses jakarta.");
    }

    static List<String> violations(String pkg, String file, String source) {
        String code = codeOnly(source);
        Set<String> found = new TreeSet<>();
        Matcher m = PROJECT_REFERENCE.matcher(code);
        while (m.find()) {
            String used = m.group(1);
            if (!used.equals(pkg) && !ALLOWED.get(pkg).contains(used)) {
                found.add(pkg + "/" + file + " uses dev.svidauth." + used);
            }
        }
        Matcher q = QUALIFIED_NAME.matcher(code);
        while (q.find()) {
            for (String prefix : FORBIDDEN_PREFIXES) {
                if (q.group().startsWith(prefix)) {
                    found.add(pkg + "/" + file + " uses " + prefix);
                }
            }
        }
        return new ArrayList<>(found);
    }

    /** The source without comments and string or character literals. */
    static String codeOnly(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
                while (i < n && source.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*') {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                i = end < 0 ? n : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < n && source.charAt(i) != c) {
                    i += source.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
