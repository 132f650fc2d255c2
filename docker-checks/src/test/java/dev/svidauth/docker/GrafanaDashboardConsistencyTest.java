package dev.svidauth.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docker/grafana/svid-auth-dashboard.json} queries exactly the series docs/troubleshooting.md's
 * metrics table documents (which {@code MetricsIT} scrapes from the real server), and each panel has a
 * query.
 */
class GrafanaDashboardConsistencyTest {

    private static final Pattern METRIC = Pattern.compile("svid_auth_[a-z_]+");
    /** Prometheus suffixes of a histogram's series. */
    private static final Pattern HISTOGRAM_SUFFIX = Pattern.compile("_(bucket|count|sum|max)$");

    private final Path repo = Path.of(System.getProperty("svid.repo.dir", "..")).toAbsolutePath().normalize();

    @Test
    void dashboardUsesEveryDocumentedSeriesAndNoOther() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(repo.resolve("docker/grafana/svid-auth-dashboard.json").toFile());
        Set<String> used = new TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
            for (JsonNode target : panel.path("targets")) {
                Matcher m = METRIC.matcher(target.path("expr").asText());
                while (m.find()) {
                    used.add(m.group());
                }
            }
        }
        Set<String> usedBase = new TreeSet<>();
        used.forEach(name -> usedBase.add(name.endsWith("_seconds_bucket") || name.endsWith("_seconds_count")
                || name.endsWith("_seconds_sum") ? HISTOGRAM_SUFFIX.matcher(name).replaceFirst("") : name));

        String page = Files.readString(repo.resolve("docs/troubleshooting.md"));
        String table = page.substring(page.indexOf("\n## Metrics\n") + 1);
        int end = table.indexOf("\n## ");
        table = end < 0 ? table : table.substring(0, end);
        Set<String> documented = new TreeSet<>();
        for (String line : table.split("\n")) {
            Matcher m = Pattern.compile("^\\| `(svid_auth_[a-z_]+)`").matcher(line);
            if (m.find()) {
                documented.add(m.group(1));
            }
        }

        assertThat(documented).hasSize(5);
        assertThat(usedBase).isEqualTo(documented);
    }
}
