package dev.svidauth.it.quickstart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator's quick start as README.md writes it: the fenced {@code ```sh} blocks under the
 * heading {@value #HEADING}, up to the next second-level heading.
 *
 * <p>Convention (README.md repeats it in a comment under the section): the first block sets the
 * operator's values, one {@code export NAME=value …} statement per line with an optional trailing
 * comment, and every later block reads only those variables. A test runs the later blocks as
 * written with its own values for the variables ({@link #settings()} names them).
 */
final class QuickStart {

    static final String HEADING = "## Quick start for operators";

    private static final Pattern SH_BLOCK = Pattern.compile("(?ms)^```sh\\n(.*?)^```\\s*$");
    private static final Pattern ASSIGNMENT = Pattern.compile("([A-Z_][A-Z0-9_]*)=(\\S*)");
    private static final Pattern VARIABLE_USE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)");

    private final Map<String, String> settings;
    private final List<String> commands;

    private QuickStart(Map<String, String> settings, List<String> commands) {
        this.settings = settings;
        this.commands = commands;
    }

    /** Reads the quick start of the README at {@code readme}. */
    static QuickStart read(Path readme) throws IOException {
        return parse(Files.readString(Objects.requireNonNull(readme, "readme")));
    }

    /**
     * Parses README text.
     *
     * @throws IllegalArgumentException when the section, its settings block or a command block is
     *                                  missing, or the settings block holds anything but exports
     */
    static QuickStart parse(String readme) {
        int start = readme.indexOf("\n" + HEADING + "\n");
        if (start < 0) {
            throw new IllegalArgumentException("README has no section '" + HEADING + "'");
        }
        int end = readme.indexOf("\n## ", start + 1 + HEADING.length());
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        List<String> blocks = new ArrayList<>();
        Matcher m = SH_BLOCK.matcher(section);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        if (blocks.size() < 2) {
            throw new IllegalArgumentException("the quick start needs a settings block and at least one command block, found "
                    + blocks.size() + " ```sh block(s)");
        }
        return new QuickStart(parseSettings(blocks.get(0)), List.copyOf(blocks.subList(1, blocks.size())));
    }

    private static Map<String, String> parseSettings(String block) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : block.split("\n")) {
            String code = line.replaceFirst("\\s+#.*$", "").strip();
            if (code.isEmpty() || code.startsWith("#")) {
                continue;
            }
            if (!code.startsWith("export ")) {
                throw new IllegalArgumentException("the settings block may only export variables: '" + line + "'");
            }
            String rest = code.substring("export ".length()).strip();
            Matcher m = ASSIGNMENT.matcher(rest);
            int at = 0;
            while (m.find() && m.start() == at) {
                settings.put(m.group(1), m.group(2));
                at = m.end();
                while (at < rest.length() && rest.charAt(at) == ' ') {
                    at++;
                }
            }
            if (at != rest.length()) {
                throw new IllegalArgumentException("cannot read the export '" + line + "' (NAME=value, no quotes or spaces)");
            }
        }
        return settings;
    }

    /** The variables of the settings block with the README's example values, in order. */
    Map<String, String> settings() {
        return settings;
    }

    /** The command blocks after the settings block, in order, as written. */
    List<String> commands() {
        return commands;
    }

    /** The first command block containing {@code text}. */
    String command(String text) {
        return commands.stream().filter(c -> c.contains(text)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no quick-start command block contains '" + text + "'"));
    }

    /** Every {@code $NAME} / {@code ${NAME}} the command blocks read. */
    Set<String> variablesUsed() {
        Set<String> used = new LinkedHashSet<>();
        for (String c : commands) {
            Matcher m = VARIABLE_USE.matcher(c);
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        return used;
    }
}
