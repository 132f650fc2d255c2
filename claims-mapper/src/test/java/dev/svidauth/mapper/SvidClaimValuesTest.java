package dev.svidauth.mapper;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Table of the value logic: source, match value, JSON type and session notes in, token value out. */
class SvidClaimValuesTest {

    private static final String SUB = "spiffe://example.org/ns/prod/sa/agent";

    private static final String CLAIMS = "{"
            + "\"sub\":\"" + SUB + "\","
            + "\"aud\":[\"https://kc.example/realms/r\"],"
            + "\"exp\":1700000000,"
            + "\"client_type\":\"ai-agent\","
            + "\"tier\":3,"
            + "\"ratio\":1.5,"
            + "\"whole\":4.0,"
            + "\"big\":123456789012345678901234567890,"
            + "\"beta\":true,"
            + "\"roles\":[\"reader\",\"writer\"],"
            + "\"mixed\":[\"x\",7,false,null,{\"k\":\"v\"},[1]],"
            + "\"empty\":[],"
            + "\"meta\":{\"team\":\"ml\",\"n\":1,\"tags\":[\"a\"]},"
            + "\"nothing\":null,"
            + "\"num_str\":\"42\","
            + "\"bool_str\":\"TRUE\","
            + "\"spiffe_id\":\"not-the-real-one\""
            + "}";

    private static Map<String, String> svid() {
        Map<String, String> notes = new HashMap<>();
        notes.put(SvidSessionNotes.SUB, SUB);
        notes.put(SvidSessionNotes.ISS, "https://oidc.example.org");
        notes.put(SvidSessionNotes.TRUST_DOMAIN, "example.org");
        notes.put(SvidSessionNotes.PATH, "/ns/prod/sa/agent");
        notes.put(SvidSessionNotes.KID, "kid1");
        notes.put(SvidSessionNotes.CLAIMS, CLAIMS);
        return notes;
    }

    private static Map<String, String> svidWith(String note, String value) {
        Map<String, String> notes = svid();
        if (value == null) {
            notes.remove(note);
        } else {
            notes.put(note, value);
        }
        return notes;
    }

    private static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    private static Arguments row(String name, String source, String match, String type, Map<String, String> notes,
                                 Object expected) {
        return Arguments.of(name, source, match, type, notes, Optional.ofNullable(expected));
    }

    static Stream<Arguments> table() {
        Map<String, String> none = Map.of();
        return Stream.of(
                // claim types keep their JSON shape
                row("string claim", "client_type", null, null, svid(), "ai-agent"),
                row("string claim, type JSON", "client_type", null, "JSON", svid(), "ai-agent"),
                row("integral number is a Long", "tier", null, null, svid(), 3L),
                row("decimal number is a Double", "ratio", null, null, svid(), 1.5),
                row("huge integral number is a BigInteger", "big", null, null, svid(),
                        new BigInteger("123456789012345678901234567890")),
                row("boolean claim", "beta", null, null, svid(), Boolean.TRUE),
                row("array claim is a list", "roles", null, null, svid(), List.of("reader", "writer")),
                row("aud array", "aud", null, null, svid(), List.of("https://kc.example/realms/r")),
                row("mixed array keeps every element", "mixed", null, null, svid(),
                        Arrays.asList("x", 7L, false, null, map("k", "v"), List.of(1L))),
                row("empty array stays empty", "empty", null, null, svid(), List.of()),
                row("object claim is a map", "meta", null, "JSON", svid(),
                        map("team", "ml", "n", 1L, "tags", List.of("a"))),
                row("exp from the SVID", "exp", null, null, svid(), 1700000000L),
                row("sub from the SVID claims", "sub", null, null, svid(), SUB),
                row("unknown JSON type keeps the shape", "tier", null, "float", svid(), 3L),

                // absent values
                row("missing claim is absent", "no_such_claim", null, null, svid(), null),
                row("null claim is absent", "nothing", null, null, svid(), null),
                row("dotted source is a top-level name, not a path", "meta.team", null, null, svid(), null),
                row("source names are case-sensitive", "Client_Type", null, null, svid(), null),

                // synthetic sources
                row("spiffe_id is the sub note", "spiffe_id", null, null, svid(), SUB),
                row("spiffe_id wins over an SVID claim of that name", "spiffe_id", null, null,
                        svidWith(SvidSessionNotes.CLAIMS, "{\"spiffe_id\":\"x\"}"), SUB),
                row("trust_domain", "trust_domain", null, null, svid(), "example.org"),
                row("spiffe_path", "spiffe_path", null, null, svid(), "/ns/prod/sa/agent"),
                row("synthetic source needs no claims note", "trust_domain", null, null,
                        svidWith(SvidSessionNotes.CLAIMS, null), "example.org"),
                row("synthetic source with its note missing is absent", "spiffe_path", null, null,
                        svidWith(SvidSessionNotes.PATH, null), null),

                // match value
                row("match: equal string", "client_type", "ai-agent", null, svid(), Boolean.TRUE),
                row("match: different string", "client_type", "human", null, svid(), Boolean.FALSE),
                row("match: exact, no trimming or case folding", "client_type", "AI-agent", null, svid(),
                        Boolean.FALSE),
                row("match: claim absent from the SVID is false", "no_such_claim", "ai-agent", null, svid(),
                        Boolean.FALSE),
                row("match: null claim is false", "nothing", "null", null, svid(), Boolean.FALSE),
                row("match: array with the value", "roles", "writer", null, svid(), Boolean.TRUE),
                row("match: array without the value", "roles", "admin", null, svid(), Boolean.FALSE),
                row("match: empty array", "empty", "x", null, svid(), Boolean.FALSE),
                row("match: number by its JSON text", "tier", "3", null, svid(), Boolean.TRUE),
                row("match: array element that is a number", "mixed", "7", null, svid(), Boolean.TRUE),
                row("match: boolean by its JSON text", "beta", "true", null, svid(), Boolean.TRUE),
                row("match: object never equals", "meta", "ml", null, svid(), Boolean.FALSE),
                row("match: synthetic source", "trust_domain", "example.org", null, svid(), Boolean.TRUE),
                row("match: spiffe_id", "spiffe_id", "spiffe://example.org/other", null, svid(), Boolean.FALSE),
                row("match: synthetic note missing is false", "spiffe_path", "/x", null,
                        svidWith(SvidSessionNotes.PATH, null), Boolean.FALSE),
                row("match: type String renders the boolean as text", "client_type", "ai-agent", "String", svid(),
                        "true"),
                row("match: type boolean", "client_type", "nope", "boolean", svid(), Boolean.FALSE),
                row("match: type long still gives a boolean", "client_type", "ai-agent", "long", svid(),
                        Boolean.TRUE),
                row("match: empty match value means no match", "client_type", "", null, svid(), "ai-agent"),

                // forced JSON types
                row("String: number", "tier", null, "String", svid(), "3"),
                row("String: boolean", "beta", null, "String", svid(), "true"),
                row("String: array element by element", "mixed", null, "String", svid(),
                        List.of("x", "7", "false", "{\"k\":\"v\"}", "[1]")),
                row("String: object as JSON text", "meta", null, "String", svid(),
                        "{\"team\":\"ml\",\"n\":1,\"tags\":[\"a\"]}"),
                row("long: number", "tier", null, "long", svid(), 3L),
                row("long: numeric string", "num_str", null, "long", svid(), 42L),
                row("long: whole decimal", "whole", null, "long", svid(), 4L),
                row("long: fraction does not convert", "ratio", null, "long", svid(), null),
                row("long: out of range does not convert", "big", null, "long", svid(), null),
                row("long: text does not convert", "client_type", null, "long", svid(), null),
                row("long: array keeps convertible elements", "mixed", null, "long", svid(), List.of(7L)),
                row("int: number is an Integer", "tier", null, "int", svid(), 3),
                row("int: number in range", "exp", null, "int", svid(), 1700000000),
                row("int: huge number does not convert", "big", null, "int", svid(), null),
                row("int: numeric string", "num_str", null, "int", svid(), 42),
                row("boolean: boolean", "beta", null, "boolean", svid(), Boolean.TRUE),
                row("boolean: true/false text in any case", "bool_str", null, "boolean", svid(), Boolean.TRUE),
                row("boolean: other text does not convert", "client_type", null, "boolean", svid(), null),
                row("boolean: object does not convert", "meta", null, "boolean", svid(), null),
                row("boolean: array of strings converts none", "roles", null, "boolean", svid(), List.of()),

                // not an SVID token, or unreadable claims
                row("no svid.sub: untouched", "client_type", null, null, svidWith(SvidSessionNotes.SUB, null), null),
                row("no svid.sub: untouched, even spiffe_id", "spiffe_id", null, null,
                        svidWith(SvidSessionNotes.SUB, null), null),
                row("no svid.sub: no match result either", "client_type", "ai-agent", null,
                        svidWith(SvidSessionNotes.SUB, null), null),
                row("empty svid.sub: untouched", "client_type", null, null, svidWith(SvidSessionNotes.SUB, ""), null),
                row("no notes at all", "client_type", null, null, none, null),
                row("claims note missing", "client_type", null, null, svidWith(SvidSessionNotes.CLAIMS, null), null),
                row("claims note missing: no match result", "client_type", "ai-agent", null,
                        svidWith(SvidSessionNotes.CLAIMS, null), null),
                row("bad JSON", "client_type", null, null, svidWith(SvidSessionNotes.CLAIMS, "{\"client_type\":"), null),
                row("bad JSON: no match result", "client_type", "ai-agent", null,
                        svidWith(SvidSessionNotes.CLAIMS, "not json at all"), null),
                row("claims note is an array", "client_type", null, null,
                        svidWith(SvidSessionNotes.CLAIMS, "[{\"client_type\":\"ai-agent\"}]"), null),
                row("claims note is a string", "client_type", null, null,
                        svidWith(SvidSessionNotes.CLAIMS, "\"ai-agent\""), null),
                row("claims note is empty", "client_type", null, null, svidWith(SvidSessionNotes.CLAIMS, ""), null),
                row("bad JSON does not hide synthetic sources", "spiffe_id", null, null,
                        svidWith(SvidSessionNotes.CLAIMS, "{"), SUB),

                // configuration
                row("blank source", " ", null, null, svid(), null),
                row("null source", null, null, null, svid(), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void resolves(String name, String source, String match, String type, Map<String, String> notes,
                  Optional<Object> expected) {
        Optional<Object> actual = SvidClaimValues.resolve(source, match, type, notes::get);

        assertThat(actual).isEqualTo(expected);
        actual.ifPresent(value -> {
            Object wanted = expected.get();
            if (wanted instanceof List) {
                assertThat(value).isInstanceOf(List.class);
            } else if (wanted instanceof Map) {
                assertThat(value).isInstanceOf(Map.class);
            } else {
                assertThat(value).hasSameClassAs(wanted);
            }
        });
    }
}
