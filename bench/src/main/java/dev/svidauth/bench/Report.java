package dev.svidauth.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The Markdown report: printed as it grows, written to a file after every section. */
final class Report {

    private final Path file;
    private final StringBuilder md = new StringBuilder();
    private final List<String[]> targets = new ArrayList<>();

    Report(Path file) {
        this.file = file;
    }

    static void progress(String text) {
        System.out.println("[bench " + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + text);
        System.out.flush();
    }

    void section(String title) {
        line("");
        line("## " + title);
        line("");
    }

    void line(String text) {
        md.append(text).append('\n');
        System.out.println(text);
        System.out.flush();
    }

    void target(String what, String value, boolean met) {
        targets.add(new String[] {what, value, verdict(met)});
    }

    /** The targets table; in quick mode a verdict is only a hint (rounds too few and short to decide). */
    void targets(boolean quick) {
        section("Targets");
        if (quick) {
            line("Quick mode: rounds too few and too short to decide a target; run the full benchmark for verdicts.");
            line("");
        }
        line("| target | measured | |");
        line("|---|---:|---|");
        for (String[] t : targets) {
            line("| " + t[0] + " | " + t[1] + " | " + t[2] + " |");
        }
        line("");
    }

    void flush() {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, md.toString());
        } catch (IOException e) {
            System.err.println("cannot write " + file + ": " + e);
        }
    }

    Path file() {
        return file;
    }

    static String verdict(boolean met) {
        return met ? "met" : "**missed**";
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = values.stream().sorted().collect(Collectors.toList());
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static String list(List<Double> values, String format) {
        return values.stream().map(v -> String.format(format, v)).collect(Collectors.joining(", "));
    }
}
