package dev.svidauth.keycloak.runtime;

import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What a refused caller reads: the failed check and its code by default, the sanitized detail only for development. */
class ClientAuthOutcomeTest {

    private static final SvidRejectedException UNREACHABLE = new SvidRejectedException(Reason.KEY_SOURCE_UNAVAILABLE,
            "key source http://127.0.0.1:1/keys is unavailable: fetching http://127.0.0.1:1/keys failed:"
                    + " org.apache.http.conn.HttpHostConnectException: Connect to 127.0.0.1:1 failed: Connection refused");

    @Test
    void callersAreToldTheCheckAndTheCodeNeverTheDetail() {
        String description = ClientAuthOutcome.callerDescription(UNREACHABLE, false);

        assertThat(description).isEqualTo("the keys of the client's key source are unavailable (key_source_unavailable)")
                .doesNotContain("http").doesNotContain("127.0.0.1").doesNotContain("Exception");
    }

    @Test
    void anotherClientsIdIsNeverToldToTheCaller() {
        SvidRejectedException ambiguous = new SvidRejectedException(Reason.AMBIGUOUS_CLIENT,
                "SPIFFE ID 'spiffe://sec.test/payments' is accepted by 2 clients [payments, intruder] equally; send client_id to choose one");

        assertThat(ClientAuthOutcome.callerDescription(ambiguous, false))
                .isEqualTo("several clients accept this SPIFFE ID; send client_id to choose one (ambiguous_client)")
                .doesNotContain("intruder").doesNotContain("payments");
    }

    @Test
    void detailedErrorsGiveTheDetailStillSanitized() {
        SvidRejectedException hostile = new SvidRejectedException(Reason.KEY_SOURCE_UNAVAILABLE,
                "key source http://keys.example/ is unavailable: names issuer 'x\r\nSet-Cookie: y' " + "z".repeat(5000));

        assertThat(ClientAuthOutcome.callerDescription(UNREACHABLE, true)).isEqualTo(UNREACHABLE.getMessage());
        assertThat(ClientAuthOutcome.callerDescription(hostile, true)).contains("x\\r\\nSet-Cookie: y").doesNotContain("\n")
                .hasSize(dev.svidauth.rejection.Printable.MAX_TEXT_CHARS);
    }
}
