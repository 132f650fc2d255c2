package dev.svidauth.rejection;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

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
                "no_certificate", "bad_certificate", "untrusted_certificate", "certificate_expired",
                "missing_wit", "missing_pop", "bad_pop", "pop_replayed", "no_wit_keys");
        assertThat(Reason.INTERNAL_ERROR).hasToString("internal_error");
    }

    /** Operators look a refusal up by its code in the troubleshooting page's table: every code has a row. */
    @Test
    void theTroubleshootingPageDocumentsEveryCodeOperatorsSee() throws Exception {
        String page = Files.readString(Path.of("../docs/troubleshooting.md"));
        for (Reason r : Reason.values()) {
            assertThat(page).as(r.code()).contains("| `" + r.code() + "` |");
        }
    }

    /**
     * What callers read: each reason names its own check in words, ends with its code, and quotes
     * nothing (no value of a request, client or key source can appear in a fixed text).
     */
    @Test
    void everyReasonHasItsOwnFixedCallerText() {
        Set<String> seen = new HashSet<>();
        for (Reason r : Reason.values()) {
            assertThat(r.check()).as(r.code()).isNotEqualTo(Reason.GENERIC_CHECK).doesNotContainPattern("'(?!s )").doesNotContain("://");
            assertThat(seen.add(r.check())).as("caller text of %s is shared", r.code()).isTrue();
            assertThat(r.callerDescription()).isEqualTo(r.check() + " (" + r.code() + ")");
        }
        assertThat(Reason.BAD_ISSUER.callerDescription()).isEqualTo("SVID issuer does not match the client's pinned issuer (bad_issuer)");
    }
}
