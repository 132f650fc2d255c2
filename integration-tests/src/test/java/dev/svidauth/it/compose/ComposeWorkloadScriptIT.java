package dev.svidauth.it.compose;

import dev.svidauth.it.support.SvidEnvironment;
import dev.svidauth.it.support.SvidRealm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.svidauth.spire.X509Svid;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compose workloads' script, docker/workload/get-token.sh, run with this machine's curl against
 * the shared Keycloak, with SVIDs the emulator writes where spiffe-helper would: the parts of the
 * compose setup that no Docker engine is needed to prove. The X.509 mode presents the SVID with
 * {@code curl --cert/--key} at the HTTPS token endpoint (as workload-warehouse does); the JWT mode
 * sends the JWT-SVID as client assertion (as workload does). Skipped without curl.
 */
@ExtendWith(SvidEnvironment.class)
class ComposeWorkloadScriptIT {

    private static final Pattern TOKEN_PAYLOAD = Pattern.compile("(?m)^access token payload: (\\{.*})$");

    private final SvidRealm env;

    ComposeWorkloadScriptIT(SvidRealm env) {
        this.env = env;
    }

    @Test
    void x509SvidAsClientCertificateGetsATokenBoundToIt(@TempDir Path svids) throws Exception {
        Assumptions.assumeTrue(env.keycloak().httpsEnabled(), "this Keycloak has no HTTPS listener");
        X509Svid svid = env.spire().mintX509Svid(SvidRealm.WAREHOUSE);
        Path cert = svids.resolve("svid.pem");
        Path key = svids.resolve("svid_key.pem");
        svid.writePem(cert, key);

        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("TOKEN_ENDPOINT", env.keycloak().httpsTokenEndpoint(SvidRealm.REALM).toString());
        vars.put("CLIENT_ID", SvidRealm.WAREHOUSE_CLIENT);
        vars.put("SVID_CERT_FILE", cert.toString());
        vars.put("SVID_KEY_FILE", key.toString());
        vars.put("KEYCLOAK_CA_FILE", env.keycloak().serverTls().caFile().toString());
        String out = runScript(vars);

        assertThat(out).contains("HTTP 200", "client_id=" + SvidRealm.WAREHOUSE_CLIENT);
        JsonNode token = tokenPayload(out);
        assertThat(token.path("azp").asText()).isEqualTo(SvidRealm.WAREHOUSE_CLIENT);
        assertThat(token.path("spiffe_id").asText()).isEqualTo(SvidRealm.WAREHOUSE);
        assertThat(token.path("cnf").path("x5t#S256").asText()).isEqualTo(svid.thumbprintS256());
    }

    @Test
    void jwtSvidAsClientAssertionGetsAToken(@TempDir Path svids) throws Exception {
        Path file = svids.resolve("jwt_svid.token");
        Files.writeString(file, env.svid(SvidRealm.PAYMENTS));

        String out = runScript(Map.of("TOKEN_ENDPOINT", env.tokenEndpoint().toString(), "SVID_FILE", file.toString()));

        assertThat(out).contains("HTTP 200");
        JsonNode token = tokenPayload(out);
        assertThat(token.path("azp").asText()).isEqualTo("payments-api");
        assertThat(token.path("spiffe_id").asText()).isEqualTo(SvidRealm.PAYMENTS);
    }

    /** Runs the script with {@code vars} and no waiting for spiffe-helper; it must exit 0. */
    private static String runScript(Map<String, String> vars) throws IOException, InterruptedException {
        Assumptions.assumeTrue(new ProcessBuilder("sh", "-c", "command -v curl").start().waitFor() == 0, "no curl on this machine");
        Path script = Path.of(System.getProperty("svid.repo.dir", "..")).toAbsolutePath().normalize()
                .resolve("docker/workload/get-token.sh");
        ProcessBuilder pb = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true);
        pb.environment().putAll(vars);
        pb.environment().put("SVID_WAIT", "0");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("script finished").isTrue();
        System.out.println("[get-token.sh] " + out.replace("\n", "\n[get-token.sh] "));
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static JsonNode tokenPayload(String out) throws IOException {
        Matcher m = TOKEN_PAYLOAD.matcher(out);
        assertThat(m.find()).as("the script prints the decoded access token: " + out).isTrue();
        return new ObjectMapper().readTree(m.group(1));
    }
}
