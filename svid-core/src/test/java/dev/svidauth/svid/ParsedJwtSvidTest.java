package dev.svidauth.svid;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import dev.svidauth.rejection.Reason;
import dev.svidauth.rejection.SvidRejectedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ParsedJwtSvidTest {

    private static final ECKey KEY = Jws.ec(Curve.P_256, "k1");

    static final String SUB = "spiffe://example.org/ns/apps/sa/payments";
    static final String HEADER = "{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"JWT\"}";
    static final String PAYLOAD = "{\"sub\":\"" + SUB + "\",\"aud\":[\"https://kc/realms/r\"],"
            + "\"exp\":1700000300,\"iat\":1700000000}";

    static String signed(String header, String payload) {
        return Jws.sign(header, payload, KEY, JWSAlgorithm.ES256);
    }

    static String payloadWith(String members) {
        return "{" + members + "}";
    }

    static String nested(int depth) {
        return "{\"sub\":\"" + SUB + "\",\"aud\":\"a\",\"exp\":1700000300,\"deep\":"
                + "[".repeat(depth) + "]".repeat(depth) + "}";
    }

    // ---- good SVIDs ----

    @Test
    void parsesASpireStyleSvid() throws Exception {
        String payload = "{\"sub\":\"" + SUB + "\",\"aud\":[\"https://kc/realms/r\",\"x\"],\"exp\":1700000300,"
                + "\"iat\":1700000000,\"nbf\":1699999990,\"iss\":\"https://oidc.example.org\",\"jti\":\"j-1\","
                + "\"client_type\":\"ai-agent\"}";
        String token = signed(HEADER, payload);

        ParsedJwtSvid svid = ParsedJwtSvid.parse(token);

        assertThat(svid.token()).isEqualTo(token);
        assertThat(svid.algorithm()).isEqualTo("ES256");
        assertThat(svid.kid()).isEqualTo("k1");
        assertThat(svid.spiffeId().toString()).isEqualTo(SUB);
        assertThat(svid.issuer()).isEqualTo("https://oidc.example.org");
        assertThat(svid.audience()).containsExactly("https://kc/realms/r", "x");
        assertThat(svid.expiresAt()).isEqualTo(Instant.ofEpochSecond(1700000300));
        assertThat(svid.issuedAt()).isEqualTo(Instant.ofEpochSecond(1700000000));
        assertThat(svid.notBefore()).isEqualTo(Instant.ofEpochSecond(1699999990));
        assertThat(svid.jti()).isEqualTo("j-1");
        assertThat(svid.claimsJson()).contains("\"client_type\":\"ai-agent\"").contains("\"jti\":\"j-1\"");
    }

    static Stream<Arguments> good() {
        return Stream.of(
                arguments("typ absent", "{\"alg\":\"ES256\",\"kid\":\"k1\"}", PAYLOAD),
                arguments("typ JWT", HEADER, PAYLOAD),
                arguments("typ JOSE", "{\"alg\":\"ES256\",\"typ\":\"JOSE\"}", PAYLOAD),
                arguments("typ lower case jwt", "{\"alg\":\"ES256\",\"typ\":\"jwt\"}", PAYLOAD),
                arguments("no kid", "{\"alg\":\"ES256\"}", PAYLOAD),
                arguments("kid of 256 characters", "{\"alg\":\"ES256\",\"kid\":\"" + "k".repeat(256) + "\"}", PAYLOAD),
                arguments("every supported alg: RS512", "{\"alg\":\"RS512\"}", PAYLOAD),
                arguments("every supported alg: PS384", "{\"alg\":\"PS384\"}", PAYLOAD),
                arguments("aud as a string", HEADER, payloadWith("\"sub\":\"" + SUB + "\",\"aud\":\"https://kc/realms/r\",\"exp\":1700000300")),
                arguments("no iat, nbf, iss, jti", HEADER, payloadWith("\"sub\":\"" + SUB + "\",\"aud\":[\"a\"],\"exp\":1700000300")),
                arguments("null optional claims", HEADER, payloadWith("\"sub\":\"" + SUB + "\",\"aud\":[\"a\"],\"exp\":1700000300,\"iss\":null,\"iat\":null")),
                arguments("fractional exp", HEADER, payloadWith("\"sub\":\"" + SUB + "\",\"aud\":[\"a\"],\"exp\":1700000300.5")),
                arguments("moderate nesting in an extra claim", HEADER, nested(20)),
                arguments("white space around JSON", " { \"alg\" : \"ES256\" } ", " " + PAYLOAD + "\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("good")
    void acceptsGoodSvids(String name, String header, String payload) throws Exception {
        ParsedJwtSvid svid = ParsedJwtSvid.parse(signed(header, payload));
        assertThat(svid.spiffeId().toString()).isEqualTo(SUB);
        assertThat(svid.audience()).isNotEmpty();
    }

    @Test
    void stringAudienceBecomesOneElement() throws Exception {
        ParsedJwtSvid svid = ParsedJwtSvid.parse(signed(HEADER,
                payloadWith("\"sub\":\"" + SUB + "\",\"aud\":\"https://kc/realms/r\",\"exp\":1700000300")));
        assertThat(svid.audience()).containsExactly("https://kc/realms/r");
        assertThat(svid.kid()).isEqualTo("k1");
        assertThat(svid.issuer()).isNull();
        assertThat(svid.jti()).isNull();
        assertThat(svid.issuedAt()).isNull();
        assertThat(svid.notBefore()).isNull();
    }

    // ---- bad SVIDs built from JSON text ----

    static Stream<Arguments> badJson() {
        String s = "\"sub\":\"" + SUB + "\"";
        String a = "\"aud\":[\"a\"]";
        String e = "\"exp\":1700000300";
        return Stream.of(
                // algorithm
                arguments("alg none", "{\"alg\":\"none\"}", PAYLOAD, Reason.BAD_ALG, "'none' is never accepted"),
                arguments("alg NONE", "{\"alg\":\"NONE\"}", PAYLOAD, Reason.BAD_ALG, "'none' is never accepted"),
                arguments("alg HS256", "{\"alg\":\"HS256\"}", PAYLOAD, Reason.BAD_ALG, "'HS256' is symmetric"),
                arguments("alg hs512", "{\"alg\":\"hs512\"}", PAYLOAD, Reason.BAD_ALG, "is symmetric"),
                arguments("alg ES256K", "{\"alg\":\"ES256K\"}", PAYLOAD, Reason.BAD_ALG, "'ES256K' is not supported"),
                arguments("alg EdDSA", "{\"alg\":\"EdDSA\"}", PAYLOAD, Reason.BAD_ALG, "'EdDSA' is not supported"),
                arguments("alg lower case es256", "{\"alg\":\"es256\"}", PAYLOAD, Reason.BAD_ALG, "is not supported"),
                arguments("alg RSA-OAEP (a JWE alg)", "{\"alg\":\"RSA-OAEP\"}", PAYLOAD, Reason.BAD_ALG, "is not supported"),
                arguments("alg missing", "{\"kid\":\"k1\"}", PAYLOAD, Reason.BAD_ALG, "has no 'alg'"),
                arguments("alg a number", "{\"alg\":256}", PAYLOAD, Reason.BAD_ALG, "has no 'alg'"),
                arguments("alg null", "{\"alg\":null}", PAYLOAD, Reason.BAD_ALG, "has no 'alg'"),
                // header parameters
                arguments("jku", "{\"alg\":\"ES256\",\"jku\":\"https://evil/keys\"}", PAYLOAD, Reason.BAD_HEADER, "carries 'jku'"),
                arguments("x5u", "{\"alg\":\"ES256\",\"x5u\":\"https://evil/cert\"}", PAYLOAD, Reason.BAD_HEADER, "carries 'x5u'"),
                arguments("jwk", "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\"}}", PAYLOAD, Reason.BAD_HEADER, "carries 'jwk'"),
                arguments("x5c", "{\"alg\":\"ES256\",\"x5c\":[\"MIIB\"]}", PAYLOAD, Reason.BAD_HEADER, "carries 'x5c'"),
                arguments("crit", "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", PAYLOAD, Reason.BAD_HEADER, "carries 'crit'"),
                arguments("x5t#S256", "{\"alg\":\"ES256\",\"x5t#S256\":\"abc\"}", PAYLOAD, Reason.BAD_HEADER, "carries 'x5t#S256'"),
                arguments("cty", "{\"alg\":\"ES256\",\"cty\":\"JWT\"}", PAYLOAD, Reason.BAD_HEADER, "only alg, kid and typ are accepted"),
                arguments("b64", "{\"alg\":\"ES256\",\"b64\":false}", PAYLOAD, Reason.BAD_HEADER, "carries 'b64'"),
                arguments("zip", "{\"alg\":\"ES256\",\"zip\":\"DEF\"}", PAYLOAD, Reason.BAD_HEADER, "carries 'zip'"),
                arguments("jku before a bad alg", "{\"jku\":\"https://evil\",\"alg\":\"none\"}", PAYLOAD, Reason.BAD_HEADER, "carries 'jku'"),
                // typ
                arguments("typ at+jwt", "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}", PAYLOAD, Reason.BAD_HEADER, "'typ' must be JWT or JOSE, not 'at+jwt'"),
                arguments("typ JWE", "{\"alg\":\"ES256\",\"typ\":\"JWE\"}", PAYLOAD, Reason.BAD_HEADER, "'typ' must be JWT or JOSE"),
                arguments("typ empty", "{\"alg\":\"ES256\",\"typ\":\"\"}", PAYLOAD, Reason.BAD_HEADER, "'typ' must be JWT or JOSE"),
                arguments("typ a number", "{\"alg\":\"ES256\",\"typ\":1}", PAYLOAD, Reason.BAD_HEADER, "'typ' must be JWT or JOSE, not number"),
                // kid
                arguments("kid a number", "{\"alg\":\"ES256\",\"kid\":1}", PAYLOAD, Reason.BAD_HEADER, "'kid' must be a non-empty string"),
                arguments("kid an object", "{\"alg\":\"ES256\",\"kid\":{}}", PAYLOAD, Reason.BAD_HEADER, "'kid' must be a non-empty string"),
                arguments("kid null", "{\"alg\":\"ES256\",\"kid\":null}", PAYLOAD, Reason.BAD_HEADER, "'kid' must be a non-empty string"),
                arguments("kid empty", "{\"alg\":\"ES256\",\"kid\":\"\"}", PAYLOAD, Reason.BAD_HEADER, "'kid' must be a non-empty string"),
                arguments("kid of 257 characters", "{\"alg\":\"ES256\",\"kid\":\"" + "k".repeat(257) + "\"}", PAYLOAD, Reason.BAD_HEADER, "longer than 256 characters"),
                // JSON shape
                arguments("header not JSON", "alg=ES256", PAYLOAD, Reason.MALFORMED, "is not valid JSON"),
                arguments("header a JSON array", "[\"ES256\"]", PAYLOAD, Reason.MALFORMED, "is not a JSON object"),
                arguments("header empty", "", PAYLOAD, Reason.MALFORMED, "SVID header or payload"),
                arguments("header duplicate alg", "{\"alg\":\"ES256\",\"alg\":\"none\"}", PAYLOAD, Reason.MALFORMED, "duplicate member name"),
                arguments("header duplicate kid", "{\"alg\":\"ES256\",\"kid\":\"a\",\"kid\":\"b\"}", PAYLOAD, Reason.MALFORMED, "duplicate member name"),
                arguments("header with a comment", "{\"alg\":\"ES256\"/* x */}", PAYLOAD, Reason.MALFORMED, "is not valid JSON"),
                arguments("payload not JSON", HEADER, "sub=spiffe://example.org/x", Reason.MALFORMED, "is not valid JSON"),
                arguments("payload truncated JSON", HEADER, PAYLOAD.substring(0, 30), Reason.MALFORMED, "is not valid JSON"),
                arguments("payload a JSON array", HEADER, "[" + PAYLOAD + "]", Reason.MALFORMED, "is not a JSON object"),
                arguments("payload a JSON string", HEADER, "\"" + SUB + "\"", Reason.MALFORMED, "is not a JSON object"),
                arguments("payload JSON null", HEADER, "null", Reason.MALFORMED, "is not a JSON object"),
                arguments("payload empty", HEADER, "", Reason.MALFORMED, "SVID header or payload"),
                arguments("payload with trailing JSON", HEADER, PAYLOAD + "{\"sub\":\"spiffe://evil/x\"}", Reason.MALFORMED, "is not valid JSON"),
                arguments("payload duplicate sub", HEADER, payloadWith(s + ",\"sub\":\"spiffe://evil.org/x\"," + a + "," + e), Reason.MALFORMED, "duplicate member name"),
                arguments("payload duplicate aud", HEADER, payloadWith(s + "," + a + ",\"aud\":[\"b\"]," + e), Reason.MALFORMED, "duplicate member name"),
                arguments("payload duplicate in a nested object", HEADER, payloadWith(s + "," + a + "," + e + ",\"x\":{\"y\":1,\"y\":2}"), Reason.MALFORMED, "duplicate member name"),
                arguments("nesting deeper than 32", HEADER, nested(40), Reason.MALFORMED, "is not valid JSON"),
                // required claims
                arguments("sub missing", HEADER, payloadWith(a + "," + e), Reason.MALFORMED, "has no 'sub' claim"),
                arguments("sub null", HEADER, payloadWith("\"sub\":null," + a + "," + e), Reason.MALFORMED, "has no 'sub' claim"),
                arguments("exp missing", HEADER, payloadWith(s + "," + a), Reason.MALFORMED, "has no 'exp' claim"),
                arguments("aud missing", HEADER, payloadWith(s + "," + e), Reason.MALFORMED, "has no 'aud' claim"),
                arguments("aud null", HEADER, payloadWith(s + ",\"aud\":null," + e), Reason.MALFORMED, "has no 'aud' claim"),
                // sub
                arguments("sub a number", HEADER, payloadWith("\"sub\":42," + a + "," + e), Reason.BAD_SPIFFE_ID, "'sub' claim is not a string"),
                arguments("sub an array", HEADER, payloadWith("\"sub\":[\"" + SUB + "\"]," + a + "," + e), Reason.BAD_SPIFFE_ID, "'sub' claim is not a string"),
                arguments("sub not a SPIFFE ID", HEADER, payloadWith("\"sub\":\"payments\"," + a + "," + e), Reason.BAD_SPIFFE_ID, "not a valid SPIFFE ID: 'payments' is not a SPIFFE ID"),
                arguments("sub an https URL", HEADER, payloadWith("\"sub\":\"https://example.org/x\"," + a + "," + e), Reason.BAD_SPIFFE_ID, "must start with spiffe://"),
                arguments("sub upper-case trust domain", HEADER, payloadWith("\"sub\":\"spiffe://Example.org/x\"," + a + "," + e), Reason.BAD_SPIFFE_ID, "invalid trust domain"),
                arguments("sub a trust domain ID", HEADER, payloadWith("\"sub\":\"spiffe://example.org\"," + a + "," + e), Reason.BAD_SPIFFE_ID, "has no path"),
                arguments("sub with a dot-dot segment", HEADER, payloadWith("\"sub\":\"spiffe://example.org/a/../b\"," + a + "," + e), Reason.BAD_SPIFFE_ID, "'..' path segment"),
                arguments("sub percent-encoded", HEADER, payloadWith("\"sub\":\"spiffe://example.org/a%2Fb\"," + a + "," + e), Reason.BAD_SPIFFE_ID, "'%' is not allowed"),
                // aud
                arguments("aud empty array", HEADER, payloadWith(s + ",\"aud\":[]," + e), Reason.MALFORMED, "non-empty array of strings"),
                arguments("aud containing a number", HEADER, payloadWith(s + ",\"aud\":[\"a\",1]," + e), Reason.MALFORMED, "must contain only strings"),
                arguments("aud containing null", HEADER, payloadWith(s + ",\"aud\":[null]," + e), Reason.MALFORMED, "must contain only strings"),
                arguments("aud an object", HEADER, payloadWith(s + ",\"aud\":{\"a\":1}," + e), Reason.MALFORMED, "non-empty array of strings"),
                arguments("aud a number", HEADER, payloadWith(s + ",\"aud\":1," + e), Reason.MALFORMED, "non-empty array of strings"),
                // numeric dates
                arguments("exp a string", HEADER, payloadWith(s + "," + a + ",\"exp\":\"1700000300\""), Reason.MALFORMED, "'exp' claim is not a number"),
                arguments("exp a boolean", HEADER, payloadWith(s + "," + a + ",\"exp\":true"), Reason.MALFORMED, "'exp' claim is not a number"),
                arguments("exp negative", HEADER, payloadWith(s + "," + a + ",\"exp\":-1"), Reason.MALFORMED, "'exp' claim is out of range"),
                arguments("exp beyond year 9999", HEADER, payloadWith(s + "," + a + ",\"exp\":1e300"), Reason.MALFORMED, "'exp' claim is out of range"),
                arguments("nbf a string", HEADER, payloadWith(s + "," + a + "," + e + ",\"nbf\":\"0\""), Reason.MALFORMED, "'nbf' claim is not a number"),
                arguments("iat an array", HEADER, payloadWith(s + "," + a + "," + e + ",\"iat\":[1]"), Reason.MALFORMED, "'iat' claim is not a number"),
                arguments("number longer than 64 digits", HEADER, payloadWith(s + "," + a + ",\"exp\":" + "1".repeat(80)), Reason.MALFORMED, "is not valid JSON"),
                // optional string claims
                arguments("iss a number", HEADER, payloadWith(s + "," + a + "," + e + ",\"iss\":1"), Reason.MALFORMED, "'iss' claim is not a string"),
                arguments("iss an array", HEADER, payloadWith(s + "," + a + "," + e + ",\"iss\":[\"https://a\"]"), Reason.MALFORMED, "'iss' claim is not a string"),
                arguments("jti an object", HEADER, payloadWith(s + "," + a + "," + e + ",\"jti\":{}"), Reason.MALFORMED, "'jti' claim is not a string"),
                // header size
                arguments("header over 1024 characters", "{\"alg\":\"ES256\",\"typ\":\"" + "J".repeat(1000) + "\"}", PAYLOAD, Reason.BAD_HEADER, "at most 1024 are accepted"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badJson")
    void rejectsBadSvids(String name, String header, String payload, Reason reason, String messagePart) {
        assertRejected(signed(header, payload), reason, messagePart);
    }

    // ---- bad compact serializations ----

    static Stream<Arguments> badCompact() {
        String good = signed(HEADER, PAYLOAD);
        String[] p = good.split("\\.");
        return Stream.of(
                arguments("empty", "", Reason.MALFORMED, "client_assertion is empty"),
                arguments("one part", p[0], Reason.MALFORMED, "got 1)"),
                arguments("two parts", p[0] + "." + p[1], Reason.MALFORMED, "expected 3 dot-separated parts, got 2"),
                arguments("four parts", good + ".x", Reason.MALFORMED, "expected 3 dot-separated parts, got 4"),
                arguments("five parts (JWE)", good + ".x.y", Reason.MALFORMED, "is an encrypted JWT (JWE)"),
                arguments("trailing dot", good + ".", Reason.MALFORMED, "got 4"),
                arguments("empty signature", p[0] + "." + p[1] + ".", Reason.BAD_SIGNATURE, "SVID has no signature"),
                arguments("empty header", "." + p[1] + "." + p[2], Reason.MALFORMED, "SVID header or payload"),
                arguments("empty payload", p[0] + ".." + p[2], Reason.MALFORMED, "SVID header or payload"),
                arguments("padding in header", p[0] + "==." + p[1] + "." + p[2], Reason.MALFORMED, "not base64url-encoded"),
                arguments("padding in signature", good + "=", Reason.MALFORMED, "not base64url-encoded"),
                arguments("standard base64 '+' in payload", p[0] + "." + p[1] + "+." + p[2], Reason.MALFORMED, "not base64url-encoded"),
                arguments("standard base64 '/' in signature", p[0] + "." + p[1] + "." + p[2] + "/", Reason.MALFORMED, "not base64url-encoded"),
                arguments("space in header", " " + good, Reason.MALFORMED, "not base64url-encoded"),
                arguments("line break in signature", good + "\n", Reason.MALFORMED, "not base64url-encoded"),
                arguments("non-ASCII in payload", p[0] + "." + p[1] + "\u00e9." + p[2], Reason.MALFORMED, "not base64url-encoded"),
                arguments("impossible base64 length in signature", p[0] + "." + p[1] + ".A", Reason.MALFORMED, "not base64url-encoded"),
                arguments("impossible base64 length in payload", p[0] + "." + p[1] + "A." + p[2], Reason.MALFORMED, "not base64url-encoded"),
                arguments("oversized (1 MiB)", p[0] + "." + "A".repeat(1024 * 1024) + "." + p[2], Reason.MALFORMED, "at most 16384 are accepted"),
                arguments("just over the size cap", p[0] + "." + "A".repeat(ParsedJwtSvid.MAX_ASSERTION_LENGTH) + "." + p[2], Reason.MALFORMED, "characters long; at most 16384"),
                arguments("oversized header part", "A".repeat(1025) + "." + p[1] + "." + p[2], Reason.BAD_HEADER, "SVID header is 1025 characters long"),
                arguments("a plain string", "not-a-jwt", Reason.MALFORMED, "got 1)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCompact")
    void rejectsBadCompactSerializations(String name, String token, Reason reason, String messagePart) {
        assertRejected(token, reason, messagePart);
    }

    @Test
    void rejectsNull() {
        assertRejected(null, Reason.MALFORMED, "client_assertion is empty");
    }

    @Test
    void messagesNeverEchoControlCharacters() {
        String token = signed("{\"alg\":\"ES256\",\"typ\":\"a\\u0000\\nb\"}", PAYLOAD);
        SvidRejectedException e = catchThrowableOfType(SvidRejectedException.class, () -> ParsedJwtSvid.parse(token));
        assertThat(e.reason()).isEqualTo(Reason.BAD_HEADER);
        assertThat(e.getMessage()).contains("'a\\u0000\\nb'").doesNotContain("\n").doesNotContain("\u0000");
    }

    // ---- peekIssuerAndSubject: its sub ----

    private static String peekSubject(String token) {
        String[] issSub = JwtSvidPeek.peekIssuerAndSubject(token);
        return issSub == null ? null : issSub[1];
    }

    @Test
    void peekSubjectReadsTheSubWithoutValidation() {
        assertThat(peekSubject(signed(HEADER, PAYLOAD))).isEqualTo(SUB);
        // no validation: a bad alg or a non-SPIFFE sub is still peeked
        assertThat(peekSubject(signed("{\"alg\":\"none\"}", payloadWith("\"sub\":\"alice\"")))).isEqualTo("alice");
        assertThat(peekSubject(Jws.b64(HEADER) + "." + Jws.b64(PAYLOAD) + ".")).isEqualTo(SUB);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "a.b", "a.%%%.c", "x..y"})
    void peekSubjectReturnsNullForJunk(String token) {
        assertThat(peekSubject(token)).isNull();
    }

    @Test
    void peekSubjectReturnsNullForUnusableSubs() {
        assertThat(peekSubject(null)).isNull();
        assertThat(peekSubject(signed(HEADER, payloadWith("\"sub\":42")))).isNull();
        assertThat(peekSubject(signed(HEADER, payloadWith("\"aud\":\"a\"")))).isNull();
        assertThat(peekSubject(signed(HEADER, "[1]"))).isNull();
        assertThat(peekSubject(signed(HEADER, "{\"sub\":\"a\",\"sub\":\"b\"}"))).isNull();
        String huge = Jws.b64(HEADER) + "." + Jws.b64(PAYLOAD) + "." + "A".repeat(ParsedJwtSvid.MAX_ASSERTION_LENGTH);
        assertThat(peekSubject(huge)).isNull();
    }

    private static void assertRejected(String token, Reason reason, String messagePart) {
        assertThatThrownBy(() -> ParsedJwtSvid.parse(token))
                .isInstanceOf(SvidRejectedException.class)
                .satisfies(e -> assertThat(((SvidRejectedException) e).reason()).isEqualTo(reason))
                .hasMessageContaining(messagePart);
    }
}
