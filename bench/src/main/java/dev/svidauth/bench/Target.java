package dev.svidauth.bench;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.WitSvid;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/** One kind of token request the load generator sends: its name and how to make the request bytes. */
abstract class Target implements Supplier<byte[]> {

    static final String JWT_SPIFFE = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe";
    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** Signing pools of assertions goes faster with BouncyCastle than with the JDK 17 provider. */
    static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    final String name;
    final Transport transport;
    final String path;

    Target(String name, Transport transport, String realm) {
        this.name = name;
        this.transport = transport;
        this.path = "/realms/" + realm + "/protocol/openid-connect/token";
    }

    /** Called before each measured run with the number of requests it may send at most. */
    void prepare(long expectedRequests) {
    }

    /** Requests that needed work inside the measured run (e.g. signing); 0 when everything was prepared. */
    long unpreparedRequests() {
        return 0;
    }

    byte[] post(String form) {
        return Http1.formPost(transport.host, transport.port, path, form);
    }

    /** The length of the form (the request body) this kind sends now. */
    int formLength() {
        byte[] request = get();
        for (int i = 0; i + 3 < request.length; i++) {
            if (request[i] == '\r' && request[i + 1] == '\n' && request[i + 2] == '\r' && request[i + 3] == '\n') {
                return request.length - i - 4;
            }
        }
        throw new IllegalStateException("no request body in " + name);
    }

    /** A client_credentials request whose client_assertion ({@code assertionType}) is {@code claims} signed ES256 under {@code kid}. */
    byte[] signedRequest(ECDSASigner signer, String kid, JWTClaimsSet claims, String assertionType) {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return post("grant_type=client_credentials&client_assertion_type=" + enc(assertionType)
                + "&client_assertion=" + jwt.serialize());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** client_credentials with client_id and client_secret in the form (client_secret_post). */
    static Target secret(String name, Transport transport, String realm, String clientId, String secret) {
        return new Fixed(name, transport, realm, secretForm(clientId, secret));
    }

    private static String secretForm(String clientId, String secret) {
        return "grant_type=client_credentials&client_id=" + enc(clientId) + "&client_secret=" + enc(secret);
    }

    /**
     * (1) with an extra form parameter that Keycloak ignores, padding the form to {@code formLength}
     * bytes: client-secret's authentication with the request size of an SVID kind, so that what a
     * longer request costs the server (reading and decoding the body) shows apart from what
     * authenticating with an SVID costs.
     */
    static Target paddedSecret(String name, Transport transport, String realm, String clientId, String secret, int formLength) {
        String form = secretForm(clientId, secret) + "&padding=";
        return new Fixed(name, transport, realm, form + "x".repeat(Math.max(0, formLength - form.length())));
    }

    /**
     * client_credentials over mutual TLS: the credential is the X.509-SVID that {@code transport}
     * presents as client certificate; the form carries the grant type only (no client_id: the
     * client is found by the certificate's SPIFFE ID, as (2) is found by its JWT-SVID's).
     */
    static Target x509(String name, Transport transport, String realm) {
        if (transport.tls == null) {
            throw new IllegalArgumentException("an X.509-SVID travels in the TLS handshake: " + name + " needs an HTTPS transport");
        }
        return new Fixed(name, transport, realm, "grant_type=client_credentials");
    }

    /** The same request bytes every time. */
    static final class Fixed extends Target {
        private final byte[] request;

        Fixed(String name, Transport transport, String realm, String form) {
            super(name, transport, realm);
            request = post(form);
        }

        @Override
        public byte[] get() {
            return request;
        }
    }

    /**
     * client_credentials with a JWT-SVID as jwt-spiffe client_assertion, minted by the SPIRE
     * emulator and reused, as a SPIRE agent caches it; re-minted every 60 s (agents rotate at half
     * life) and before each run, so it never nears Keycloak native's 300 s cap.
     */
    static final class Svid extends Target {
        private final SpireEmulator spire;
        private final String spiffeId;
        private final String audience;
        private volatile byte[] request;
        private volatile long mintedAt;

        Svid(String name, Transport transport, String realm, SpireEmulator spire, String spiffeId, String audience) {
            super(name, transport, realm);
            this.spire = spire;
            this.spiffeId = spiffeId;
            this.audience = audience;
            mint();
        }

        private synchronized void mint() {
            String svid = spire.mint(spiffeId, List.of(audience));
            request = post("grant_type=client_credentials&client_assertion_type=" + enc(JWT_SPIFFE)
                    + "&client_assertion=" + svid);
            mintedAt = System.nanoTime();
        }

        @Override
        void prepare(long expectedRequests) {
            mint();
        }

        @Override
        public byte[] get() {
            if (System.nanoTime() - mintedAt > 60_000_000_000L) {
                synchronized (this) {
                    if (System.nanoTime() - mintedAt > 60_000_000_000L) {
                        mint();
                    }
                }
            }
            return request;
        }
    }

    /**
     * The worst case for client-svid-jwt: a different SVID on every request (no signature seen
     * before), as if every request came from another workload or an agent that never reused an
     * SVID. SPIRE's header and claims, signed with the emulator's current key; a pool is signed
     * before each run, outside the measured time. With several SPIFFE IDs (a fleet), request i of
     * the pool is workload i mod n's.
     */
    static final class FreshSvid extends PreSigned {
        private final SpireEmulator spire;
        private final List<String> spiffeIds;
        private final String audience;
        private final AtomicInteger workload = new AtomicInteger();

        FreshSvid(String name, Transport transport, String realm, SpireEmulator spire, String spiffeId, String audience) {
            this(name, transport, realm, spire, List.of(spiffeId), audience);
        }

        FreshSvid(String name, Transport transport, String realm, SpireEmulator spire, List<String> spiffeIds, String audience) {
            super(name, transport, realm);
            this.spire = spire;
            this.spiffeIds = List.copyOf(spiffeIds);
            this.audience = audience;
        }

        @Override
        Supplier<byte[]> signing() {
            ECDSASigner signer = es256Signer((ECKey) spire.signingKey());
            String kid = spire.signingKey().getKeyID();
            return () -> svidRequest(this, signer, kid, spire.issuer(),
                    spiffeIds.get(Math.floorMod(workload.getAndIncrement(), spiffeIds.size())), audience);
        }
    }

    /**
     * client-svid-wit: one WIT-SVID in {@code OAuth-Client-Attestation}, reused as the Workload API
     * hands it out (minted again before a run once it is past half its lifetime), and a new proof
     * of possession on every request in {@code OAuth-Client-Attestation-PoP} ({@code aud} the realm
     * issuer, {@code iat} now, a fresh {@code jti}; ES256 by the WIT's {@code cnf} key), since the
     * server accepts each PoP once. A pool is signed before each run, outside the measured time;
     * the form carries only the grant type.
     */
    static final class Wit extends PreSigned {
        private static final JOSEObjectType POP_TYP = new JOSEObjectType(WitSvid.POP_TYP);
        private final SpireEmulator spire;
        private final String spiffeId;
        private final String audience;
        private volatile WitSvid wit;
        private volatile ECDSASigner popSigner;
        private volatile long mintedAt;

        Wit(String name, Transport transport, String realm, SpireEmulator spire, String spiffeId, String audience) {
            super(name, transport, realm);
            this.spire = spire;
            this.spiffeId = spiffeId;
            this.audience = audience;
            mint();
        }

        private synchronized void mint() {
            wit = spire.mintWitSvid(spiffeId);
            popSigner = es256Signer((ECKey) wit.workloadKey());
            mintedAt = System.nanoTime();
        }

        @Override
        Supplier<byte[]> signing() {
            if (System.nanoTime() - mintedAt > SpireEmulator.DEFAULT_WIT_SVID_TTL.toNanos() / 2) {
                mint();
            }
            WitSvid current = wit;
            ECDSASigner signer = popSigner;
            return () -> request(current, signer);
        }

        private byte[] request(WitSvid current, ECDSASigner signer) {
            JWTClaimsSet claims = new JWTClaimsSet.Builder()
                    .audience(audience)
                    .issueTime(new Date())
                    .jwtID(UUID.randomUUID().toString())
                    .build();
            SignedJWT pop = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(POP_TYP).build(), claims);
            try {
                pop.sign(signer);
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("OAuth-Client-Attestation", current.token());
            headers.put("OAuth-Client-Attestation-PoP", pop.serialize());
            return Http1.formPost(transport.host, transport.port, path, "grant_type=client_credentials", headers);
        }
    }

    /** A request carrying a JWT-SVID as SPIRE mints it (sub, aud, iat, exp 5 min later, iss when set), signed now. */
    static byte[] svidRequest(Target target, ECDSASigner signer, String kid, String issuer, String spiffeId, String audience) {
        long now = System.currentTimeMillis() / 1000 * 1000;
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(spiffeId).audience(List.of(audience))
                .issueTime(new Date(now)).expirationTime(new Date(now + 300_000));
        if (issuer != null) {
            claims.issuer(issuer);
        }
        return target.signedRequest(signer, kid, claims.build(), JWT_SPIFFE);
    }

    /**
     * A fleet whose workloads each reuse their JWT-SVID, as SPIRE agents hand it out: one SVID per
     * workload, signed before the first run and again before a run once they are 150 s old (agents
     * rotate at half life of SPIRE's 5 min default); request i is workload i mod n's.
     */
    static final class ReusedSvids extends Target {
        private static final long ROTATE_NANOS = 150_000_000_000L;
        private final SpireEmulator spire;
        private final List<String> spiffeIds;
        private final String audience;
        private final AtomicInteger next = new AtomicInteger();
        private volatile byte[][] requests;
        private volatile long mintedAt;

        ReusedSvids(String name, Transport transport, String realm, SpireEmulator spire, List<String> spiffeIds, String audience) {
            super(name, transport, realm);
            this.spire = spire;
            this.spiffeIds = List.copyOf(spiffeIds);
            this.audience = audience;
        }

        int workloads() {
            return spiffeIds.size();
        }

        @Override
        void prepare(long expectedRequests) {
            if (requests == null || System.nanoTime() - mintedAt > ROTATE_NANOS) {
                ECDSASigner signer = PreSigned.es256Signer((ECKey) spire.signingKey());
                String kid = spire.signingKey().getKeyID();
                requests = spiffeIds.parallelStream().map(id -> svidRequest(this, signer, kid, spire.issuer(), id, audience))
                        .toArray(byte[][]::new);
                mintedAt = System.nanoTime();
            }
        }

        @Override
        public byte[] get() {
            byte[][] r = requests;
            return r[Math.floorMod(next.getAndIncrement(), r.length)];
        }
    }

    /** client_credentials (client_secret_post) from many clients in turn: request i is client i mod n's. */
    static final class SecretFleet extends Target {
        private final byte[][] requests;
        private final AtomicInteger next = new AtomicInteger();

        SecretFleet(String name, Transport transport, String realm, List<String> clientIds, String secret) {
            super(name, transport, realm);
            requests = clientIds.stream().map(id -> post("grant_type=client_credentials&client_id=" + enc(id)
                    + "&client_secret=" + enc(secret))).toArray(byte[][]::new);
        }

        @Override
        public byte[] get() {
            return requests[Math.floorMod(next.getAndIncrement(), requests.length)];
        }
    }

    /**
     * Keycloak's client-jwt (private_key_jwt): iss = sub = clientId, aud = the realm issuer, a
     * fresh jti for every request (Keycloak enforces single use) and at most 60 s old (its default
     * max lifetime). A pool is signed before each run, outside the measured time.
     */
    static final class ClientJwt extends PreSigned {
        private final String clientId;
        private final String audience;
        private final ECKey key;
        private final ECDSASigner signer;

        ClientJwt(String name, Transport transport, String realm, String clientId, String audience, ECKey key) {
            super(name, transport, realm);
            this.clientId = clientId;
            this.audience = audience;
            this.key = key;
            this.signer = es256Signer(key);
        }

        private byte[] sign() {
            long now = System.currentTimeMillis();
            JWTClaimsSet claims = new JWTClaimsSet.Builder()
                    .issuer(clientId).subject(clientId).audience(audience)
                    .jwtID(UUID.randomUUID().toString())
                    .issueTime(new Date(now)).expirationTime(new Date(now + 55_000))
                    .build();
            return signedRequest(signer, key.getKeyID(), claims, JWT_BEARER);
        }

        @Override
        Supplier<byte[]> signing() {
            return this::sign;
        }
    }

    /**
     * A kind whose every request carries a newly signed assertion: a pool is signed before each
     * run, outside the measured time; requests beyond the pool are signed inside it and counted.
     */
    abstract static class PreSigned extends Target {
        private byte[][] pool = new byte[0][];
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicLong signedInRun = new AtomicLong();

        PreSigned(String name, Transport transport, String realm) {
            super(name, transport, realm);
        }

        /** Makes one request with a new assertion; called in parallel while the pool is signed. */
        abstract Supplier<byte[]> signing();

        /** An ES256 signer on BouncyCastle, the provider Keycloak verifies with. */
        static ECDSASigner es256Signer(ECKey key) {
            try {
                ECDSASigner signer = new ECDSASigner(key);
                signer.getJCAContext().setProvider(BC);
                return signer;
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        void prepare(long expectedRequests) {
            int n = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1, expectedRequests));
            Supplier<byte[]> signing = signing();
            pool = IntStream.range(0, n).parallel().mapToObj(i -> signing.get()).toArray(byte[][]::new);
            next.set(0);
            signedInRun.set(0);
        }

        @Override
        long unpreparedRequests() {
            return signedInRun.get();
        }

        @Override
        public byte[] get() {
            int i = next.getAndIncrement();
            byte[][] p = pool;
            if (i < p.length) {
                return p[i];
            }
            signedInRun.incrementAndGet();
            return signing().get();
        }
    }
}
