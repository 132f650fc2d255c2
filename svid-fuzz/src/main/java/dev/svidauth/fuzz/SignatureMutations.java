package dev.svidauth.fuzz;

import dev.svidauth.fuzz.SvidMutations.Seed;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Mutations of the signature and the algorithm: tampered, truncated, zeroed, DER-encoded or
 * borrowed signatures, another key under the same kid, and algorithm confusion ({@code none},
 * HMAC keyed with the public key's bytes, the other family's algorithm, embedded or remote keys,
 * forbidden critical headers).
 */
final class SignatureMutations extends MutationFamily {

    SignatureMutations(Sources sources) {
        super(sources);
    }

    String signatureTampering(Seed s) {
        String[] p = s.parts();
        byte[] sig = Base64.getUrlDecoder().decode(p[2]);
        byte[] out;
        switch (rnd.nextInt(10)) {
            case 0 -> {
                out = sig.clone();
                int i = rnd.nextInt(out.length);
                out[i] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 1 -> out = new byte[sig.length]; // all zero: r = s = 0 ("psychic signature")
            case 2 -> out = java.util.Arrays.copyOf(sig, rnd.nextInt(sig.length));
            case 3 -> out = java.util.Arrays.copyOf(sig, sig.length + 1 + rnd.nextInt(64));
            case 4 -> {
                // r and s = the P-256 order n, or all 0xff
                out = new byte[sig.length];
                java.util.Arrays.fill(out, (byte) 0xff);
            }
            case 5 -> out = der(sig);
            case 6 -> {
                return sign(s.alg(), attackerKey(s.alg()), p[0], p[1]);               // another key, same kid
            }
            case 7 -> {
                String alg = s.alg().equals("ES256") ? "RS256" : "ES256";             // other family's real key
                return p[0] + "." + p[1] + "." + b64(sigBytes(alg, alg.equals("ES256") ? ec.getPrivate() : rsa.getPrivate(), p[0] + "." + p[1]));
            }
            case 8 -> {
                Seed other = seeds().get(rnd.nextInt(seeds().size()));
                return p[0] + "." + p[1] + "." + other.parts()[2];                     // a genuine signature of another token
            }
            default -> {
                out = new byte[sig.length];
                rnd.nextBytes(out);
            }
        }
        return p[0] + "." + p[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    }

    /** alg none / symmetric / mismatched, including HMAC keyed with the public key's bytes. */
    String algConfusion(Seed s) {
        String kid = s.alg().startsWith("ES") ? id.ecKid() : id.rsaKid();
        String payload = b64(s.payloadJson());
        byte[] publicBytes = (s.alg().startsWith("ES") ? ec : rsa).getPublic().getEncoded();
        switch (rnd.nextInt(8)) {
            case 0 -> {
                String[] none = {"none", "None", "NONE", "nOnE"};
                String h = b64(header(none[rnd.nextInt(none.length)], kid));
                return h + "." + payload + "." + (rnd.nextBoolean() ? "" : s.parts()[2]);
            }
            case 1, 2 -> {
                String[] hs = {"HS256", "HS384", "HS512", "hs256"};
                String alg = hs[rnd.nextInt(hs.length)];
                String h = b64(header(alg, kid));
                byte[] key = switch (rnd.nextInt(3)) {
                    case 0 -> publicBytes;
                    case 1 -> ("-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(publicBytes)
                            + "\n-----END PUBLIC KEY-----\n").getBytes(StandardCharsets.US_ASCII);
                    default -> Base64.getUrlEncoder().withoutPadding().encodeToString(publicBytes).getBytes(StandardCharsets.US_ASCII);
                };
                return h + "." + payload + "." + b64(hmac(key, h + "." + payload));
            }
            case 3 -> {
                String other = s.alg().startsWith("ES") ? "RS256" : "ES256";               // kid of one family, alg of the other
                String h = b64(header(other, kid));
                return sign(other, other.equals("ES256") ? ec.getPrivate() : rsa.getPrivate(), h, payload);
            }
            case 4 -> {
                String h = b64(header(s.alg().startsWith("ES") ? "ES384" : "PS256", kid));
                return h + "." + payload + "." + s.parts()[2];
            }
            case 5 -> {
                String h = b64("{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\",\"jwk\":" + jwkOfAttacker() + "}");
                return sign("ES256", attackerEc.getPrivate(), h, payload);                  // embedded key
            }
            case 6 -> {
                String h = b64("{\"alg\":\"ES256\",\"jku\":\"https://evil.example/keys\",\"kid\":\"evil\"}");
                return sign("ES256", attackerEc.getPrivate(), h, payload);
            }
            default -> {
                String h = b64("{\"alg\":\"ES256\",\"kid\":\"" + kid + "\",\"crit\":[\"exp\"]}");
                return sign("ES256", ec.getPrivate(), h, payload);                          // real key, forbidden header
            }
        }
    }

    static byte[] hmac(byte[] key, String input) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An ECDSA signature (r||s) re-encoded as DER, the format JCA uses and JOSE forbids. */
    static byte[] der(byte[] p1363) {
        int half = p1363.length / 2;
        byte[] r = new java.math.BigInteger(1, java.util.Arrays.copyOfRange(p1363, 0, half)).toByteArray();
        byte[] s = new java.math.BigInteger(1, java.util.Arrays.copyOfRange(p1363, half, p1363.length)).toByteArray();
        byte[] out = new byte[6 + r.length + s.length];
        out[0] = 0x30;
        out[1] = (byte) (4 + r.length + s.length);
        out[2] = 0x02;
        out[3] = (byte) r.length;
        System.arraycopy(r, 0, out, 4, r.length);
        out[4 + r.length] = 0x02;
        out[5 + r.length] = (byte) s.length;
        System.arraycopy(s, 0, out, 6 + r.length, s.length);
        return out;
    }

    static String header(String alg, String kid) {
        return "{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
    }
}
