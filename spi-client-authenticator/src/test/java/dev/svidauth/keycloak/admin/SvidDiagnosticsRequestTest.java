package dev.svidauth.keycloak.admin;

import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import dev.svidauth.svid.ParsedJwtSvid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The diagnostics endpoint's body reading and the step it blames, without a server. */
class SvidDiagnosticsRequestTest {

    private static InputStream body(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAssertionAndOptionalClientId() throws Exception {
        assertThat(SvidDiagnosticsResource.read(body("{\"assertion\":\"a.b.c\"}")))
                .isEqualTo(new SvidDiagnosticsResource.Request("a.b.c", null));
        assertThat(SvidDiagnosticsResource.read(body("{\"assertion\":\"a.b.c\",\"client_id\":null}")).clientId()).isNull();
        assertThat(SvidDiagnosticsResource.read(body(" {\"client_id\":\"x\",\"assertion\":\"a.b.c\"} ")).clientId()).isEqualTo("x");
    }

    @Test
    void readsAWitWithItsOptionalPop() throws Exception {
        assertThat(SvidDiagnosticsResource.read(body("{\"wit\":\"w.w.w\",\"pop\":\"p.p.p\",\"client_id\":\"x\"}")))
                .isEqualTo(new SvidDiagnosticsResource.Request(null, "x", "w.w.w", "p.p.p"));
        assertThat(SvidDiagnosticsResource.read(body("{\"wit\":\"w.w.w\"}")))
                .isEqualTo(new SvidDiagnosticsResource.Request(null, null, "w.w.w", null));
        assertThat(SvidDiagnosticsResource.read(body("{\"wit\":\"w.w.w\",\"pop\":null}")).pop()).isNull();
    }

    @Test
    void theBodyLimitLeavesRoomForTheLargestWitWithItsPop() throws Exception {
        String largest = "a".repeat(ParsedJwtSvid.MAX_ASSERTION_LENGTH);
        SvidDiagnosticsResource.Request r = SvidDiagnosticsResource.read(body("{\"wit\":\"" + largest + "\",\"pop\":\"" + largest
                + "\",\"client_id\":\"" + "c".repeat(255) + "\"}"));
        assertThat(r.wit()).hasSize(largest.length());
        assertThat(r.pop()).hasSize(largest.length());
    }

    @Test
    void aWitRefusalIsBlamedOnTheVerifierStepThatRefuses() {
        assertThat(WitSvidDiagnosis.stepOf(Reason.EXPIRED)).isEqualTo("time");
        assertThat(WitSvidDiagnosis.stepOf(Reason.NOT_YET_VALID)).isEqualTo("time");
        assertThat(WitSvidDiagnosis.stepOf(Reason.NO_WIT_KEYS)).isEqualTo("signature");
        assertThat(WitSvidDiagnosis.stepOf(Reason.UNKNOWN_KID)).isEqualTo("signature");
        assertThat(WitSvidDiagnosis.stepOf(Reason.BAD_SIGNATURE)).isEqualTo("signature");
        assertThat(WitSvidDiagnosis.stepOf(Reason.KEY_SOURCE_UNAVAILABLE)).isEqualTo("signature");
        assertThat(WitSvidDiagnosis.stepOf(Reason.BAD_POP)).isEqualTo("pop");
        assertThat(WitSvidDiagnosis.stepOf(Reason.MISSING_POP)).isEqualTo("pop");
        assertThat(WitSvidDiagnosis.stepOf(Reason.POP_REPLAYED)).isEqualTo("single_use");
    }

    @Test
    void aPopIsLookedUpUnderTheRealmAndClientScopedKey() {
        assertThat(dev.svidauth.svid.WitSvidVerifier.scopedPopKey("realm-1", "client-1", "svid-auth.wit-pop.abc"))
                .isEqualTo("svid-auth.wit-pop.realm-1.client-1.abc");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "null", "[]", "\"a.b.c\"", "{", "{\"assertion\":\"a\"} {}", "{\"assertion\":\"a\",\"assertion\":\"b\"}",
            "{\"assertion\":1}", "{\"assertion\":\"\"}", "{}", "{\"assertion\":\"a\",\"client_id\":\"\"}",
            "{\"assertion\":\"a\",\"client_id\":[\"x\"]}", "{\"assertion\":\"a\",\"signature\":\"x\"}", "{\"assertion\":\"a\" /* c */}",
            "{\"wit\":\"a\",\"assertion\":\"b\"}", "{\"assertion\":\"a\",\"pop\":\"b\"}", "{\"pop\":\"b\"}", "{\"wit\":\"\"}",
            "{\"wit\":\"a\",\"pop\":\"\"}", "{\"wit\":\"a\",\"pop\":1}", "{\"wit\":7}"})
    void refusesAnythingButTheDocumentedObjectWith400(String json) {
        assertThatThrownBy(() -> SvidDiagnosticsResource.read(body(json)))
                .isInstanceOfSatisfying(SvidDiagnosticsResource.BadRequest.class, e -> {
                    assertThat(e.status).isEqualTo(400);
                    assertThat(e.getMessage()).isNotBlank();
                });
    }

    @Test
    void refusesABodyOverTheLimitWith413WithoutReadingItAll() {
        String big = "{\"assertion\":\"" + "a".repeat(SvidDiagnosticsResource.MAX_BODY_BYTES) + "\"}";
        assertThatThrownBy(() -> SvidDiagnosticsResource.read(body(big)))
                .isInstanceOfSatisfying(SvidDiagnosticsResource.BadRequest.class, e -> assertThat(e.status).isEqualTo(413));
    }

    @Test
    void theBodyLimitLeavesRoomForTheLargestAssertion() throws Exception {
        String largest = "a".repeat(ParsedJwtSvid.MAX_ASSERTION_LENGTH + 1);
        assertThat(SvidDiagnosticsResource.read(body("{\"assertion\":\"" + largest + "\"}")).assertion()).hasSize(largest.length());
    }

    @Test
    void theFailedStepIsTheOneAfterTheLastThatPassed() {
        SvidRejectedException audience = new SvidRejectedException(Reason.BAD_AUDIENCE, "x");
        List<String[]> passed = List.of(new String[]{"parse", ""}, new String[]{"claims", ""}, new String[]{"client", ""},
                new String[]{"issuer", ""});
        assertThat(SvidDiagnosticsResource.failedStep(passed, audience)).isEqualTo("audience");
    }

    @Test
    void parseFailuresAreBlamedOnParseOrClaims() {
        assertThat(SvidDiagnosticsResource.failedStep(List.of(), new SvidRejectedException(Reason.MALFORMED,
                "client_assertion is not a compact JWS (expected 3 dot-separated parts, got 1)"))).isEqualTo("parse");
        assertThat(SvidDiagnosticsResource.failedStep(List.of(), new SvidRejectedException(Reason.BAD_HEADER,
                "SVID header carries 'jku'"))).isEqualTo("parse");
        assertThat(SvidDiagnosticsResource.failedStep(List.of(), new SvidRejectedException(Reason.MALFORMED,
                "SVID has no 'exp' claim"))).isEqualTo("claims");
        assertThat(SvidDiagnosticsResource.failedStep(List.of(), new SvidRejectedException(Reason.BAD_SPIFFE_ID,
                "SVID 'sub' is not a valid SPIFFE ID: …"))).isEqualTo("claims");
    }
}
