package dev.svidauth.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * How many bytes the Keycloak JVM has allocated on its heap so far, read from the JVM's own
 * counters as Keycloak publishes them on its management interface ({@code /metrics}, Micrometer's
 * JVM binders): {@code jvm_gc_memory_allocated_bytes_total} grows at each young collection by what
 * the young generation filled since the previous one, so the allocation since the last collection
 * is added from {@code jvm_memory_used_bytes} of the eden pool. The reading is as fine as the eden
 * pool's usage figure (G1 counts whole regions handed to the allocating threads); objects that
 * G1 allocates outside the young generation (humongous ones, half a region or more) are not
 * counted at all. A scrape allocates on the server too: {@link #perScrape} is measured once, with
 * no load, and {@link BenchContext#measure} subtracts one scrape per segment.
 */
final class ServerAllocation {

    static final String COUNTER = "jvm_gc_memory_allocated_bytes_total";
    static final String POOL_USED = "jvm_memory_used_bytes";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI metrics;
    private long perScrape;

    ServerAllocation(URI metrics) {
        this.metrics = metrics;
    }

    /**
     * Checks that the server publishes both series and measures what one scrape allocates (the
     * mean of four back-to-back scrapes); returns a description for the report, or null when the
     * series are missing (then every reading is -1).
     */
    String calibrate() {
        long first = bytes();
        if (first < 0) {
            perScrape = -1;
            return null;
        }
        long last = first;
        for (int i = 0; i < 4; i++) {
            last = bytes();
        }
        perScrape = Math.max(0, (last - first) / 4);
        return String.format("`%s` + eden `%s` from `%s`; one scrape allocates about %,d KB on the server (subtracted per segment)",
                COUNTER, POOL_USED, metrics, perScrape / 1024);
    }

    /** What one scrape allocates on the server, -1 when not known. */
    long perScrape() {
        return perScrape;
    }

    /** Bytes allocated by the server JVM since it started, or -1 when the series cannot be read. */
    long bytes() {
        String text;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            text = r.body();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        return parse(text);
    }

    /** The counter plus the eden pool's usage from an OpenMetrics / Prometheus text, or -1 when either is missing. */
    static long parse(String text) {
        double counter = Double.NaN;
        double eden = Double.NaN;
        for (String line : text.split("\n")) {
            if (isSample(line, COUNTER)) {
                counter = value(line);
            } else if (isSample(line, POOL_USED) && line.contains("Eden Space\"")) {
                eden = value(line);
            }
        }
        return Double.isNaN(counter) || Double.isNaN(eden) ? -1 : (long) (counter + eden);
    }

    private static boolean isSample(String line, String name) {
        return line.startsWith(name) && line.length() > name.length()
                && (line.charAt(name.length()) == ' ' || line.charAt(name.length()) == '{');
    }

    /** The sample's value: the first field after the name and its labels (a timestamp may follow). */
    private static double value(String line) {
        int labels = line.indexOf('}');
        String rest = (labels >= 0 ? line.substring(labels + 1) : line.substring(line.indexOf(' '))).trim();
        try {
            return Double.parseDouble(rest.split("\\s+")[0]);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
