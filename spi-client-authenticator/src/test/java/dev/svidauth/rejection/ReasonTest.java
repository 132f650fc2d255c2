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
    void theReadmeDocumentsTheCodesOperatorsSee() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        for (Reason r : new Reason[] {Reason.MALFORMED, Reason.BAD_HEADER, Reason.BAD_ALG, Reason.BAD_SPIFFE_ID,
                Reason.UNKNOWN_CLIENT, Reason.AMBIGUOUS_CLIENT, Reason.SPIFFE_ID_MISMATCH, Reason.CLIENT_DISABLED,
                Reason.MISSING_ASSERTION, Reason.BAD_ISSUER, Reason.BAD_AUDIENCE, Reason.EXPIRED, Reason.LIFETIME_TOO_LONG,
                Reason.UNKNOWN_KID, Reason.BAD_SIGNATURE, Reason.REPLAYED, Reason.KEY_SOURCE_UNAVAILABLE,
                Reason.CLIENT_MISCONFIGURED, Reason.TRUST_DOMAIN_MISMATCH, Reason.INTERNAL_ERROR}) {
            assertThat(readme).as(r.code()).contains("| `" + r.code() + "` |");
        }
    }
}
