package dev.svidauth.fuzz;

import dev.svidauth.fuzz.SvidMutations.Seed;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Mutations of the JSON inside the token: random and known-hostile headers, claims replaced,
 * removed, added or renamed with values at the edges of what each claim accepts, textual JSON
 * defects a tolerant parser reads differently from a strict one, and parts that are not JSON.
 */
final class JsonMutations extends MutationFamily {

    JsonMutations(Sources sources) {
        super(sources);
    }

    /** A random header object, often close to a real one, with the original or an attacker's signature. */
    String randomHeader(Seed s) {
        Map<String, String> members = new LinkedHashMap<>();
        String[] algs = {"\"ES256\"", "\"RS256\"", "\"none\"", "\"HS256\"", "\"ES384\"", "\"PS256\"", "\"EdDSA\"", "\"es256\"",
                "null", "256", "[\"ES256\"]", "{\"alg\":\"ES256\"}", "\"\"", "\"ES256\\u0000\""};
        if (rnd.nextInt(5) != 0) {
            members.put("alg", algs[rnd.nextInt(algs.length)]);
        }
        if (rnd.nextInt(3) != 0) {
            String[] kids = {q(id.ecKid()), q(id.rsaKid()), q("../../etc/passwd"), q("' OR '1'='1"), q("x".repeat(300)), "\"\"", "1",
                    "null", q(id.ecKid() + "\\u0000"), randomJsonValue(2)};
            members.put("kid", kids[rnd.nextInt(kids.length)]);
        }
        if (rnd.nextInt(3) != 0) {
            String[] typs = {q("JWT"), q("JOSE"), q("jwt"), q("at+jwt"), q("JWS"), "null", "[]", q("")};
            members.put("typ", typs[rnd.nextInt(typs.length)]);
        }
        String[] injected = {"jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip", "enc", "cty", "ALG", "Kid",
                "url", "nonce", "spiffe", "\\u0061lg", "alg "};
        int extra = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0;
        for (int k = 0; k < extra; k++) {
            members.put(injected[rnd.nextInt(injected.length)], randomJsonValue(2));
        }
        String header = object(members, rnd.nextInt(8) == 0);
        return forge() ? forgeSigned(s.alg(), header, s.payloadJson()) : b64(header) + "." + s.parts()[1] + "." + s.parts()[2];
    }

    /**
     * A known-hostile header (alg none or HS256, another algorithm, jku, an embedded jwk, crit,
     * duplicate members, odd kid and typ values) over the seed's payload: the genuine signature in
     * two cases of three, else an attacker's.
     */
    String headerEdit(Seed s) {
        String kid = id.ecKid();
        String[] headers = {
                "{\"alg\":\"none\",\"typ\":\"JWT\"}",
                "{\"alg\":\"HS256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}",
                "{\"alg\":\"RS256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}",
                "{\"alg\":\"ES384\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\",\"jku\":\"https://evil.example/k\"}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\",\"jwk\":" + jwkOfAttacker() + "}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\",\"crit\":[\"b64\"],\"b64\":false}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"alg\":\"none\"}",
                "{\"alg\":\"ES256\",\"kid\":\"" + randomB64(rnd.nextInt(40)) + "\"}",
                "{\"alg\":\"ES256\",\"kid\":" + rnd.nextInt() + "}",
                "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"" + randomB64(rnd.nextInt(6)) + "\"}",
                "{\"alg\":\"ES256\"}",
                "{\"kid\":\"" + kid + "\"}",
                "{}",
                "{\"alg\":[\"ES256\"]}",
        };
        String header = headers[rnd.nextInt(headers.length)];
        return rnd.nextInt(3) == 0 ? sign("ES256", attackerEc.getPrivate(), b64(header), b64(s.payloadJson()))
                : b64(header) + "." + s.parts()[1] + "." + s.parts()[2];
    }

    /** One to three claims replaced, removed, added or renamed, re-serialized. */
    String claimEdit(Seed s) {
        Map<String, String> claims = new LinkedHashMap<>();
        long now = id.now().getEpochSecond();
        claims.put("aud", "[" + q(id.audience()) + "]");
        claims.put("exp", Long.toString(now + 300));
        claims.put("iat", Long.toString(now));
        claims.put("iss", q(id.issuer()));
        claims.put("sub", q(id.spiffeId()));
        String[] names = {"aud", "exp", "iat", "iss", "sub", "nbf", "jti", "client_type", "SUB", "sub\\u0000", "__proto__"};
        int edits = 1 + rnd.nextInt(3);
        for (int k = 0; k < edits; k++) {
            String name = names[rnd.nextInt(names.length)];
            switch (rnd.nextInt(4)) {
                case 0 -> claims.remove(name);
                case 1 -> claims.put(name, interestingValue(name));
                case 2 -> claims.put(name, randomJsonValue(3));
                default -> {
                    String v = claims.remove(name);
                    if (v != null) {
                        claims.put(names[rnd.nextInt(names.length)], v);
                    }
                }
            }
        }
        String payload = object(claims, rnd.nextInt(6) == 0);
        return forge() ? forgeSigned(s.alg(), s.headerJson(), payload) : s.parts()[0] + "." + b64(payload) + "." + s.parts()[2];
    }

    /** Values near the edges of what each claim accepts. */
    String interestingValue(String claim) {
        long now = id.now().getEpochSecond();
        String[] common = {"null", "true", "0", "-1", "1e308", "1e400", "-1e400", "123456789012345678901234567890",
                "9223372036854775808", "-9223372036854775809", "4.9e-324", "-0", "0.5", "[]", "{}", "\"\"",
                q("\\ud800"), q("\\u202e" + id.spiffeId()), "[[[[[[[[[[]]]]]]]]]]", "1" + "0".repeat(70)};
        String[] specific = switch (claim) {
            case "exp" -> new String[]{Long.toString(now - 1), Long.toString(now - 31), Long.toString(now + 3601),
                    Long.toString(now + 29), "253402300800", q(Long.toString(now + 300)), (now + 300) + ".999", Long.toString(Long.MAX_VALUE)};
            case "iat", "nbf" -> new String[]{Long.toString(now + 31), Long.toString(now + 100000), Long.toString(now - 7200),
                    "-1", Long.toString(Long.MIN_VALUE), q(Long.toString(now))};
            case "aud" -> new String[]{q(id.audience() + "/"), "[" + q(id.audience()) + "," + q("https://evil.example") + "]", "[]", "[null]",
                    "[" + q(id.audience().toUpperCase()) + "]", "[[" + q(id.audience()) + "]]", q(id.tokenEndpoint()), "[1]", "{\"aud\":" + q(id.audience()) + "}"};
            case "iss" -> new String[]{q(id.issuer() + "/"), q(id.issuer().toUpperCase()), q(id.issuer().replace("https", "http")), q(""), q(id.issuer() + "\\u0000"), "[" + q(id.issuer()) + "]"};
            case "sub" -> new String[]{q("spiffe://Example.org/ns/apps/sa/payments"), q("spiffe://example.org:443/ns/apps"),
                    q("spiffe://user@example.org/ns"), q("spiffe://example.org/ns/%61pps"), q("spiffe://example.org/ns/./a"),
                    q("spiffe://example.org/ns/../a"), q("spiffe://example.org//a"), q("spiffe://example.org/a/"),
                    q("spiffe://example.org/a?x=1"), q("spiffe://example.org/a#f"), q("spiffe://example.org"), q("spiffe://example.org/"),
                    q("spiffe://example.org/" + "a".repeat(2100)), q("SPIFFE://example.org/a"), q("https://example.org/a"),
                    q("spiffe:///a"), q("spiffe://example.org/ns/apps/sa/payments\\u0000"), q("spiffe://exämple.org/a"), "[" + q(id.spiffeId()) + "]"};
            default -> new String[]{q("x"), q("\\u0000"), randomJsonValue(4)};
        };
        return rnd.nextBoolean() ? specific[rnd.nextInt(specific.length)] : common[rnd.nextInt(common.length)];
    }

    /** Textual JSON defects a tolerant parser might read differently from a strict one. */
    String rawJsonText(Seed s) {
        boolean header = rnd.nextInt(3) == 0;
        String json = header ? s.headerJson() : s.payloadJson();
        String body = json.substring(1, json.length() - 1);
        String member = header ? "\"alg\":\"none\"" : "\"sub\":\"spiffe://example.org/ns/apps/sa/admin\"";
        String mutated = switch (rnd.nextInt(22)) {
            case 0 -> "{" + body + "," + member + "}";                                  // duplicate, last wins?
            case 1 -> "{" + member + "," + body + "}";                                  // duplicate, first wins?
            case 2 -> {
                int depth = 20 + rnd.nextInt(2000);
                yield "{" + body + ",\"x\":" + "{\"a\":".repeat(depth) + "1" + "}".repeat(rnd.nextBoolean() ? depth : rnd.nextInt(depth)) + "}";
            }
            case 3 -> "{" + body + ",\"x\":" + "[".repeat(1 + rnd.nextInt(3000)) + "]".repeat(rnd.nextInt(3000)) + "}";
            case 4 -> json + rnd.nextInt(10);                                          // trailing garbage
            case 5 -> json + json;                                                      // two objects
            case 6 -> "/*c*/" + json;                                                   // comment
            case 7 -> "\ufeff" + json;                                                  // BOM
            case 8 -> json.replace('"', '\'');                                          // single quotes
            case 9 -> "{" + body + ",}";                                                // trailing comma
            case 10 -> "{" + body + ",\"n\":NaN}";
            case 11 -> "{" + body + ",\"n\":" + "9".repeat(1 + rnd.nextInt(5000)) + "}";
            case 12 -> "{" + body + ",\"n\":1e" + (rnd.nextInt(2) == 0 ? "99999999999" : "-99999999999") + "}";
            case 13 -> "[" + json + "]";
            case 14 -> q(json.replace("\"", "\\\""));
            case 15 -> "{" + body.replace("\"sub\"", "\"s\\u0075b\"").replace("\"alg\"", "\"\\u0061lg\"") + "," + member + "}";
            case 16 -> "{" + body + ",\"s\":\"" + randomUnicode(1 + rnd.nextInt(200)) + "\"}";
            case 17 -> "{unquoted:1," + body + "}";
            case 18 -> "{" + body + ",\"x\":\"" + "\\".repeat(1 + rnd.nextInt(3)) + "\"}";
            case 19 -> json.substring(0, rnd.nextInt(json.length()));
            case 20 -> "{" + body + ",\"s\":\"" + "a".repeat(20_000) + "\"}";
            default -> "  \n\t" + json + "\r\n";                                        // whitespace only
        };
        String enc = b64(mutated);
        boolean forged = forge();
        if (header) {
            return forged ? sign(s.alg(), attackerKey(s.alg()), enc, s.parts()[1]) : enc + "." + s.parts()[1] + "." + s.parts()[2];
        }
        return forged ? sign(s.alg(), attackerKey(s.alg()), s.parts()[0], enc) : s.parts()[0] + "." + enc + "." + s.parts()[2];
    }

    String nonJsonPart(Seed s) {
        String[] p = s.parts();
        byte[] raw = new byte[rnd.nextInt(rnd.nextBoolean() ? 16 : 400)];
        rnd.nextBytes(raw);
        if (rnd.nextInt(4) == 0 && raw.length > 0) {
            raw[0] = '{'; // looks like JSON, is not (and often not UTF-8)
        }
        int i = rnd.nextInt(2);
        p[i] = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        return forge() ? sign(s.alg(), attackerKey(s.alg()), p[0], p[1]) : String.join(".", p);
    }
}
