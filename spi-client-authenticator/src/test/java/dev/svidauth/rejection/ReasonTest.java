package dev.svidauth.rejection;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The reason codes are public contract: dashboards and alerts key on them. */
class ReasonTest {

    @Test
    void codesAreStable() {
        assertThat(Arrays.stream(Reason.values()).map(Reason::code)).containsExactly(
                "malformed", "bad_header", "bad_alg", "bad_spiffe_id", "unknown_client", "ambiguous_client",
                "spiffe_id_mismatch", "wrong_auth_method", "client_disabled", "missing_assertion", "bad_issuer",
                "bad_audience", "expired", "not_yet_valid", "lifetime_too_long", "unknown_kid", "bad_signature",
                "replayed", "key_source_unavailable", "client_misconfigured", "trust_domain_mismatch", "internal_error",
                "no_certificate", "bad_certificate", "untrusted_certificate", "certificate_expired");
        assertThat(Reason.INTERNAL_ERROR).hasToString("internal_error");
    }

    @Test
    void theReadmeDocumentsEveryCodeOperatorsSee() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        for (Reason r : Reason.values()) {
            assertThat(readme).as(r.code()).contains("| `" + r.code() + "` |");
        }
    }
}
