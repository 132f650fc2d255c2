package dev.svidauth.reference;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps docs/conformance.md honest: in every table with a "tests" and a "status" column, the status is one of
 * {@link #STATUSES}, a row that claims {@code met} or {@code deviation} cites at least one test,
 * and every test it cites as {@code `ClassName#method`} is a test method (annotated
 * {@code @Test}, {@code @ParameterizedTest}, {@code @RepeatedTest} or {@code @TestFactory}) of a
 * class of that name in the repository's test sources, read from the {@code .java} files.
 *
 * <p>A renamed or deleted test then fails the build until the page follows, so the page cannot
 * keep pointing at proof that no longer exists.
 */
class ConformanceTableTest {

    /** The status words the page may use. */
    static final Set<String> STATUSES = Set.of("met", "deviation", "not applicable");

    private static final Pattern REFERENCE = Pattern.compile("`([A-Z][A-Za-z0-9_]*)#([a-zA-Z_][A-Za-z0-9_]*)`");
    private static final Set<String> TEST_ANNOTATIONS = Set.of("Test", "ParameterizedTest", "RepeatedTest", "TestFactory",
            "TestTemplate");
    private static final Set<String> MODIFIERS = Set.of("public", "protected", "private", "static", "final", "synchronized",
            "abstract", "default");

    private static Path root;
    private static Map<String, List<String>> testSources;

    @BeforeAll
    static void readTestSources() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("docs/conformance.md"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the repository root (holding docs/conformance.md) above " + Path.of("").toAbsolutePath()).isNotNull();
        root = dir;
        testSources = testSources(root);
    }

    @Test
    void everyCitedTestExistsAndEveryStatusIsAllowed() throws IOException {
        List<String> lines = Files.readAllLines(root.resolve("docs/conformance.md"), StandardCharsets.UTF_8);

        Check check = check(lines, testSources);

        assertThat(check.rows).as("rows with a status in docs/conformance.md").isGreaterThan(50);
        assertThat(check.problems).as("docs/conformance.md").isEmpty();
    }

    @Test
    void aMadeUpReferenceAnUnknownStatusAndAnUnprovenRowAreReported() {
        List<String> page = List.of(
                "| # | requirement | svid-auth | tests | status |",
                "|---|---|---|---|---|",
                "| 1 | a | b | `WitSvidVerifierTest#popIsRequired` | met |",
                "| 2 | a | b | `WitSvidVerifierTest#popIsOptionalAfterAll` | met |",
                "| 3 | a | b | `NoSuchTest#anything` | deviation |",
                "| 4 | a | b | `WitSvidVerifierTest#popIsRequired` | mostly met |",
                "| 5 | a | b | — | met |",
                "| 6 | a | b | — | not applicable |",
                "| 7 | a | b | `WitSvidVerifierTest#checkPop` | met |");

        Check check = check(page, testSources);

        assertThat(check.rows).isEqualTo(7);
        assertThat(check.problems).hasSize(5);
        assertThat(check.problems.get(0)).contains("row 2").contains("WitSvidVerifierTest#popIsOptionalAfterAll");
        assertThat(check.problems.get(1)).contains("row 3").contains("no test class NoSuchTest");
        assertThat(check.problems.get(2)).contains("row 4").contains("'mostly met'");
        assertThat(check.problems.get(3)).contains("row 5").contains("cites no test");
        assertThat(check.problems.get(4)).contains("row 7").contains("WitSvidVerifierTest#checkPop");
    }

    /** What a page's status tables say: how many rows, and what is wrong with them. */
    record Check(int rows, List<String> problems) {
    }

    static Check check(List<String> lines, Map<String, List<String>> sources) {
        List<String> problems = new ArrayList<>();
        int rows = 0;
        int statusColumn = -1;
        int testsColumn = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (!line.startsWith("|")) {
                statusColumn = -1;
                continue;
            }
            List<String> cells = cells(line);
            if (statusColumn < 0) {
                // a table's header row: a requirement table names both a tests and a status column
                statusColumn = cells.indexOf("status");
                testsColumn = cells.indexOf("tests");
                if (statusColumn < 0 || testsColumn < 0) {
                    statusColumn = Integer.MAX_VALUE; // another table (the status words, the texts): skip its rows
                }
                continue;
            }
            if (statusColumn == Integer.MAX_VALUE || line.matches("\\|[\\s|:-]+\\|")) {
                continue;
            }
            rows++;
            String where = "line " + (i + 1) + " (row " + (cells.isEmpty() ? "?" : cells.get(0)) + ")";
            if (cells.size() <= Math.max(statusColumn, testsColumn)) {
                problems.add(where + ": has " + cells.size() + " cells");
                continue;
            }
            String status = cells.get(statusColumn);
            if (!STATUSES.contains(status)) {
                problems.add(where + ": status '" + status + "' is not one of " + STATUSES);
            }
            Matcher m = REFERENCE.matcher(cells.get(testsColumn));
            boolean cited = false;
            while (m.find()) {
                cited = true;
                String problem = missing(m.group(1), m.group(2), sources);
                if (problem != null) {
                    problems.add(where + ": " + problem);
                }
            }
            if (!cited && !status.equals("not applicable")) {
                problems.add(where + ": status '" + status + "' but cites no test as `Class#method`");
            }
        }
        return new Check(rows, problems);
    }

    private static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") && row.length() > 1 ? row.length() - 1 : row.length());
        List<String> out = new ArrayList<>();
        for (String cell : inner.split("(?<!\\\\)\\|", -1)) {
            out.add(cell.trim());
        }
        return out;
    }

    /** Null when {@code clazz} has a test method {@code method}; else what is missing. */
    static String missing(String clazz, String method, Map<String, List<String>> sources) {
        List<String> files = sources.get(clazz);
        if (files == null) {
            return "no test class " + clazz + " in the repository's test sources (for " + clazz + "#" + method + ")";
        }
        for (String source : files) {
            if (declaresTest(source, method)) {
                return null;
            }
        }
        return clazz + "#" + method + " is not a test method of " + clazz;
    }

    /**
     * Whether {@code source} declares {@code void method(…)} annotated as a test: reads back from
     * the declaration over modifiers and annotations (their arguments included), with string and
     * character literals and comments blanked first so that their contents cannot pass for code.
     */
    static boolean declaresTest(String source, String method) {
        String code = blankLiteralsAndComments(source);
        Matcher m = Pattern.compile("\\bvoid\\s+" + Pattern.quote(method) + "\\s*\\(").matcher(code);
        while (m.find()) {
            if (annotations(code, m.start()).stream().anyMatch(TEST_ANNOTATIONS::contains)) {
                return true;
            }
        }
        return false;
    }

    /** The simple names of the annotations directly before {@code at}, over modifiers. */
    private static List<String> annotations(String code, int at) {
        List<String> found = new ArrayList<>();
        int i = at;
        while (true) {
            while (i > 0 && Character.isWhitespace(code.charAt(i - 1))) {
                i--;
            }
            if (i == 0) {
                return found;
            }
            if (code.charAt(i - 1) == ')') {
                int depth = 0;
                do {
                    i--;
                    char c = code.charAt(i);
                    depth += c == ')' ? 1 : c == '(' ? -1 : 0;
                } while (i > 0 && depth > 0);
                while (i > 0 && Character.isWhitespace(code.charAt(i - 1))) {
                    i--;
                }
            }
            int end = i;
            while (i > 0 && (Character.isJavaIdentifierPart(code.charAt(i - 1)) || code.charAt(i - 1) == '.')) {
                i--;
            }
            String word = code.substring(i, end);
            if (word.isEmpty()) {
                return found;
            }
            if (i > 0 && code.charAt(i - 1) == '@') {
                i--;
                found.add(word.substring(word.lastIndexOf('.') + 1));
            } else if (!MODIFIERS.contains(word)) {
                return found;
            }
        }
    }

    private static final Pattern LITERALS_AND_COMMENTS = Pattern.compile(
            "\"\"\"[\\s\\S]*?\"\"\"|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)+'|//[^\\n]*|/\\*[\\s\\S]*?\\*/");

    static String blankLiteralsAndComments(String source) {
        return LITERALS_AND_COMMENTS.matcher(source).replaceAll(r -> r.group().startsWith("/") ? " " : "\"\"");
    }

    /** Every {@code .java} file under a {@code src/test/java} directory of the repository, by simple class name. */
    private static Map<String, List<String>> testSources(Path root) throws IOException {
        Map<String, List<String>> out = new HashMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                return name.equals("target") || name.equals("node_modules") || name.startsWith(".") && !dir.equals(root)
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String name = file.getFileName().toString();
                if (name.endsWith(".java") && root.relativize(file).toString().replace('\\', '/').contains("src/test/java/")) {
                    out.computeIfAbsent(name.substring(0, name.length() - ".java".length()), k -> new ArrayList<>())
                            .add(Files.readString(file, StandardCharsets.UTF_8));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return out;
    }
}
