package dev.svidauth.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * {@code <workDir>/server.log}: the output of {@code kc.sh build} and {@code kc.sh start}, with a
 * header line before each command, appended per start. One start reads what it wrote from the
 * offset where it began.
 */
final class ServerLog {

    static final String LOG_FILE = "server.log";
    /** How many lines of the log a start failure quotes. */
    static final int TAIL_LINES = 100;

    private final Path file;
    private final long startOffset;

    private ServerLog(Path file, long startOffset) {
        this.file = file;
        this.startOffset = startOffset;
    }

    /** The log of {@code workDir}, read from its current end on. */
    static ServerLog in(Path workDir) throws IOException {
        Path file = workDir.resolve(LOG_FILE);
        return new ServerLog(file, size(file));
    }

    Path file() {
        return file;
    }

    /** Where this start began writing. */
    long startOffset() {
        return startOffset;
    }

    /** The current size, for reading what a later step writes. */
    long size() throws IOException {
        return size(file);
    }

    /** What this start wrote so far. */
    String text() {
        return readLogSince(file, startOffset);
    }

    /** What was written from {@code offset} on. */
    String textSince(long offset) {
        return readLogSince(file, offset);
    }

    /** The last {@link #TAIL_LINES} lines this start wrote. */
    String tail() {
        return tail(text(), TAIL_LINES);
    }

    void append(String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static long size(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0L;
    }

    static String readLogSince(Path logFile, long offset) {
        try (FileChannel channel = FileChannel.open(logFile, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size <= offset) {
                return "";
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(size - offset, Integer.MAX_VALUE - 8));
            channel.position(offset);
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // keep reading
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last {@code lines} lines of {@code text}. */
    static String tail(String text, int lines) {
        List<String> all = Arrays.asList(text.split("\\R", -1));
        int end = all.size();
        if (end > 0 && all.get(end - 1).isEmpty()) {
            end--;
        }
        return String.join("\n", all.subList(Math.max(0, end - lines), end));
    }
}
