package dev.svidauth.it.server;

import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.svidauth.it.support.SvidRealm.AGENT;
import static dev.svidauth.it.support.SvidRealm.PAYMENTS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * svid-auth's series on Keycloak's {@code /metrics} (management port) after real authentications:
 * the counter, the latency histogram and the key-source gauges exist with exactly the documented
 * tags, and no series carries a SPIFFE ID or client.
 */
@ExtendWith(SvidEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsIT {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    private final SvidRealm env;

    MetricsIT(SvidRealm env) {
        this.env = env;
    }

    record Sample(String name, Map<String, String> labels, double value) {
    }

    @Test
    void authenticationsLatencyAndKeySourcesAreExposedWithBoundedTags() throws Exception {
        assertThat(env.token(env.svid(PAYMENTS)).status).isEqualTo(200);
        assertThat(env.token(env.svid(AGENT)).status).isEqualTo(200);
        assertThat(env.token(env.svid("spiffe://example.org/ns/nobody/sa/metrics-it")).status).isEqualTo(401);

        List<Sample> samples = scrape();

        List<Sample> counter = named(samples, "svid_auth_client_authentications_total");
        assertThat(counter).isNotEmpty().allSatisfy(s -> assertThat(s.labels().keySet()).isEqualTo(Set.of("realm", "outcome", "reason")));
        assertThat(counter).anyMatch(s -> s.labels().equals(Map.of("realm", "svid", "outcome", "success", "reason", "none")) && s.value() >= 2);

        List<Sample> buckets = named(samples, "svid_auth_client_authentication_duration_seconds_bucket");
        assertThat(buckets).isNotEmpty().allSatisfy(s -> assertThat(s.labels().keySet()).isEqualTo(Set.of("outcome", "reason", "le")));
        assertThat(buckets).filteredOn(s -> s.labels().get("outcome").equals("success") && s.labels().get("reason").equals("none"))
                .extracting(s -> s.labels().get("le")).contains("0.001", "0.1", "1.0", "10.0", "+Inf");
        assertThat(buckets).anyMatch(s -> s.labels().equals(Map.of("outcome", "success", "reason", "none", "le", "+Inf")) && s.value() >= 2);
        assertThat(buckets).anyMatch(s -> s.labels().equals(Map.of("outcome", "rejected", "reason", "unknown_client", "le", "+Inf")) && s.value() >= 1);
        assertThat(named(samples, "svid_auth_client_authentication_duration_seconds_max"))
                .anyMatch(s -> s.labels().equals(Map.of("outcome", "success", "reason", "none")));
        for (String suffix : List.of("_count", "_sum")) {
            assertThat(named(samples, "svid_auth_client_authentication_duration_seconds" + suffix))
                    .anyMatch(s -> s.labels().equals(Map.of("outcome", "success", "reason", "none")))
                    .allSatisfy(s -> assertThat(s.labels().keySet()).isEqualTo(Set.of("outcome", "reason")));
        }

        assertThat(named(samples, "svid_auth_key_sources")).singleElement().satisfies(s -> {
            assertThat(s.labels()).isEmpty();
            assertThat(s.value()).isGreaterThanOrEqualTo(2); // the JWKS payments-api discovered, ai-agents' bundle
        });
        String jwks = env.spire().jwksUrl().toString();
        String bundle = env.spire().bundleUrl().toString();
        List<Sample> keys = named(samples, "svid_auth_key_source_keys");
        assertThat(keys).allSatisfy(s -> assertThat(s.labels().keySet()).isEqualTo(Set.of("source")));
        assertThat(keys).anyMatch(s -> s.labels().get("source").equals(jwks) && s.value() >= 1)
                .anyMatch(s -> s.labels().get("source").equals(bundle) && s.value() >= 1);
        List<Sample> ages = named(samples, "svid_auth_key_source_last_fetch_age_seconds");
        assertThat(ages).allSatisfy(s -> assertThat(s.labels().keySet()).isEqualTo(Set.of("source")));
        assertThat(ages).anyMatch(s -> s.labels().get("source").equals(jwks) && s.value() >= 0 && s.value() < 86_400);

        assertThat(samples).filteredOn(s -> s.name().startsWith("svid_auth_"))
                .allSatisfy(s -> assertThat(s.labels().values()).noneMatch(v -> v.contains("spiffe://") || v.contains("payments-api")));
    }

    @Test
    void diagnosingCountsNothing() throws Exception {
        String svid = env.svid("spiffe://example.org/ns/nobody/sa/diagnosed");
        assertThat(env.token(svid).status).isEqualTo(401);
        double before = rejectedUnknownClient(scrape());

        for (int i = 0; i < 3; i++) {
            var answer = env.admin().send("POST", "/" + SvidRealm.REALM + "/svid-auth/diagnose", "{\"assertion\":\"" + svid + "\"}");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("\"reason\":\"unknown_client\"");
        }

        assertThat(rejectedUnknownClient(scrape())).isEqualTo(before);
        assertThat(env.token(svid).status).isEqualTo(401);
        assertThat(rejectedUnknownClient(scrape())).as("the check above can see a count").isEqualTo(before + 1);
    }

    private static double rejectedUnknownClient(List<Sample> samples) {
        return named(samples, "svid_auth_client_authentications_total").stream()
                .filter(s -> s.labels().equals(Map.of("realm", "svid", "outcome", "rejected", "reason", "unknown_client")))
                .mapToDouble(Sample::value).sum();
    }

    private static List<Sample> named(List<Sample> samples, String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    private List<Sample> scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + env.keycloak().managementPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        List<Sample> out = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line.trim());
            if (!m.matches()) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            double value = switch (m.group(3)) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(m.group(3));
            };
            out.add(new Sample(m.group(1), labels, value));
        }
        return out;
    }
}
