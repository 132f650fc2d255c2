package dev.svidauth.spire;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A self-signed X.509 CA shaped like the one SPIRE Server creates when it has no upstream
 * authority: EC P-256 key, subject {@code C=US, O=SPIFFE, SERIALNUMBER=<serial>}, basic
 * constraints {@code CA:TRUE}, key usage {@code keyCertSign, cRLSign}, a subject key identifier
 * and the trust domain's SPIFFE ID as URI SAN. It exists only so that the SPIFFE bundle endpoint
 * can carry an {@code x509-svid} entry, which bundle consumers must skip; nothing is signed with it.
 *
 * <p>The JDK has no public certificate builder, so the DER is written by hand.
 */
final class X509Authority {

    private static final byte[] OID_ECDSA_SHA256 = oid(1, 2, 840, 10045, 4, 3, 2);
    private static final byte[] OID_C = oid(2, 5, 4, 6);
    private static final byte[] OID_O = oid(2, 5, 4, 10);
    private static final byte[] OID_SERIAL_NUMBER = oid(2, 5, 4, 5);
    private static final byte[] OID_KEY_USAGE = oid(2, 5, 29, 15);
    private static final byte[] OID_BASIC_CONSTRAINTS = oid(2, 5, 29, 19);
    private static final byte[] OID_SUBJECT_KEY_ID = oid(2, 5, 29, 14);
    private static final byte[] OID_SUBJECT_ALT_NAME = oid(2, 5, 29, 17);
    private static final DateTimeFormatter UTC_TIME =
            DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

    private final byte[] der;
    private final ECPublicKey publicKey;

    private X509Authority(byte[] der, ECPublicKey publicKey) {
        this.der = der;
        this.publicKey = publicKey;
    }

    /** Creates a CA valid from {@code now - 10 s} (SPIRE's not-before cushion) for {@code ttl}. */
    static X509Authority create(String trustDomain, Instant now, java.time.Duration ttl) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = gen.generateKeyPair();
            ECPublicKey pub = (ECPublicKey) pair.getPublic();
            byte[] spki = pub.getEncoded();

            BigInteger serial = new BigInteger(128, new SecureRandom()).setBit(127);
            byte[] name = seq(
                    set(seq(OID_C, tlv(0x13, "US".getBytes(StandardCharsets.US_ASCII)))),
                    set(seq(OID_O, tlv(0x13, "SPIFFE".getBytes(StandardCharsets.US_ASCII)))),
                    set(seq(OID_SERIAL_NUMBER, tlv(0x13, serial.toString().getBytes(StandardCharsets.US_ASCII)))));
            byte[] sigAlg = seq(OID_ECDSA_SHA256);
            byte[] validity = seq(
                    tlv(0x17, UTC_TIME.format(now.minusSeconds(10)).getBytes(StandardCharsets.US_ASCII)),
                    tlv(0x17, UTC_TIME.format(now.plus(ttl)).getBytes(StandardCharsets.US_ASCII)));

            byte[] keyBits = subjectPublicKeyBits(spki);
            byte[] ski = MessageDigest.getInstance("SHA-1").digest(keyBits);
            byte[] trueBool = {0x01, 0x01, (byte) 0xFF};
            byte[] extensions = seq(
                    seq(OID_KEY_USAGE, trueBool, tlv(0x04, new byte[] {0x03, 0x02, 0x01, 0x06})),
                    seq(OID_BASIC_CONSTRAINTS, trueBool, tlv(0x04, seq(trueBool))),
                    seq(OID_SUBJECT_KEY_ID, tlv(0x04, tlv(0x04, ski))),
                    seq(OID_SUBJECT_ALT_NAME, tlv(0x04, seq(
                            tlv(0x86, ("spiffe://" + trustDomain).getBytes(StandardCharsets.US_ASCII))))));

            byte[] tbs = seq(
                    tlv(0xA0, tlv(0x02, new byte[] {0x02})),
                    tlv(0x02, serial.toByteArray()),
                    sigAlg, name, validity, name, spki,
                    tlv(0xA3, extensions));

            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(pair.getPrivate());
            signer.update(tbs);
            byte[] sig = signer.sign();
            byte[] bitString = new byte[sig.length + 1];
            System.arraycopy(sig, 0, bitString, 1, sig.length);
            return new X509Authority(seq(tbs, sigAlg, tlv(0x03, bitString)), pub);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the emulated X.509 authority", e);
        }
    }

    byte[] der() {
        return der.clone();
    }

    ECPublicKey publicKey() {
        return publicKey;
    }

    /** The contents of the BIT STRING inside a SubjectPublicKeyInfo (RFC 5280 4.2.1.2 method 1). */
    private static byte[] subjectPublicKeyBits(byte[] spki) {
        // SEQUENCE { SEQUENCE algorithm, BIT STRING key }: skip the outer header and the algorithm.
        int[] pos = {0};
        readHeader(spki, pos);
        int algLen = readHeader(spki, pos);
        pos[0] += algLen;
        int bitsLen = readHeader(spki, pos);
        byte[] bits = new byte[bitsLen - 1];
        System.arraycopy(spki, pos[0] + 1, bits, 0, bits.length);
        return bits;
    }

    private static int readHeader(byte[] der, int[] pos) {
        pos[0]++; // tag
        int len = der[pos[0]++] & 0xFF;
        if (len >= 0x80) {
            int n = len & 0x7F;
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[pos[0]++] & 0xFF);
            }
        }
        return len;
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] set(byte[]... parts) {
        return tlv(0x31, concat(parts));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        int len = value.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static byte[] oid(int... arcs) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int arc = arcs[i];
            int shift = 28;
            while (shift > 0 && (arc >>> shift) == 0) {
                shift -= 7;
            }
            for (; shift > 0; shift -= 7) {
                body.write(0x80 | ((arc >>> shift) & 0x7F));
            }
            body.write(arc & 0x7F);
        }
        return tlv(0x06, body.toByteArray());
    }
}
