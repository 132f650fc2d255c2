package dev.svidauth.it.support;

import dev.svidauth.testkit.FormPost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.svidauth.spire.SpireEmulator;
import dev.svidauth.spire.SpireEmulatorBuilder;

import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A SPIRE emulator that belongs to one test class, and a {@code flt-} client of the realm whose
 * key source it is. Faults and rotations on it cannot disturb the shared emulator or other classes,
 * and its own port gives it its own entry in the server's key-source cache.
 */
public final class OwnKeySource implements AutoCloseable {

    private static final String KID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    final SvidRealm env;
    public final SpireEmulator spire;
    public final String clientId;
    final String spiffeId;
    public final URI keySource;
    private final ECKey foreignKey;

    private OwnKeySource(SvidRealm env, SpireEmulator spire, String clientId, String spiffeId, URI keySource) {
        this.env = env;
        this.spire = spire;
        this.clientId = clientId;
        this.spiffeId = spiffeId;
        this.keySource = keySource;
        try {
            this.foreignKey = new ECKeyGenerator(Curve.P_256).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An emulator serving keys at {@code /keys} (the OIDC Discovery Provider form) and client {@code flt-<name>}. */
    public static OwnKeySource jwks(SvidRealm env, String name) {
        return start(env, name, b -> b, s -> Map.of("svid.jwks.uri", env.forKeycloak(s.jwksUrl())));
    }

    /**
     * An emulator configured by {@code builder}, and a client {@code flt-<name>} for
     * {@code spiffe://flt.test/ns/faults/sa/<name>} with the key-source attributes
     * {@code keySource} gives for the emulator.
     */
    public static OwnKeySource start(SvidRealm env, String name, UnaryOperator<SpireEmulatorBuilder> builder,
                                     Function<SpireEmulator, Map<String, String>> keySource) {
        SpireEmulator spire = builder.apply(SpireEmulator.builder().trustDomain("flt.test")).start();
        String clientId = "flt-" + name;
        String spiffeId = "spiffe://flt.test/ns/faults/sa/" + name;
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("svid.spiffe.id", spiffeId);
        attributes.putAll(keySource.apply(spire));
        try {
            createClient(env, clientId, attributes);
        } catch (RuntimeException e) {
            spire.close();
            throw e;
        }
        String jwks = attributes.get("svid.jwks.uri");
        return new OwnKeySource(env, spire, clientId, spiffeId, jwks != null ? URI.create(jwks) : spire.discoveryUrl());
    }

    /** Creates (or re-creates, so a kept database never holds a stale key-source port) a client-svid-jwt client. */
    public static void createClient(SvidRealm env, String clientId, Map<String, String> attributes) {
        deleteClient(env, clientId);
        env.admin().post("/" + SvidRealm.REALM + "/clients", representation(clientId, attributes));
    }

    public static Map<String, Object> representation(String clientId, Map<String, String> attributes) {
        return SvidRealm.svidClient(clientId, attributes);
    }

    public static void deleteClient(SvidRealm env, String clientId) {
        JsonNode found = env.admin().get("/" + SvidRealm.REALM + "/clients?clientId=" + SvidRealm.enc(clientId));
        for (JsonNode c : found) {
            if (clientId.equals(c.path("clientId").asText())) {
                env.admin().delete("/" + SvidRealm.REALM + "/clients/" + c.path("id").asText());
            }
        }
    }

    /** A valid SVID signed by the emulator's current key, audience this realm. */
    public String validSvid() {
        return spire.mint(spiffeId, List.of(env.audience()));
    }

    /** An otherwise valid SVID for this client, signed by a key nobody publishes, under a fresh random kid. */
    public String unknownKidSvid() {
        StringBuilder kid = new StringBuilder(32);
        for (int i = 0; i < 32; i++) {
            kid.append(KID_ALPHABET.charAt(RANDOM.nextInt(KID_ALPHABET.length())));
        }
        return Forge.sign(foreignKey, "ES256", Forge.header("ES256", kid.toString()),
                Forge.claims(spiffeId, env.audience(), spire.issuer()));
    }

    /** client_credentials for this client (client_id sent) with {@code svid} as jwt-spiffe assertion. */
    public FormPost.Answer token(String svid) {
        return env.token(SvidRealm.JWT_SPIFFE, svid, clientId);
    }

    /** The kid in an SVID's header. */
    public static String kidOf(String jwt) {
        return headerMember(jwt, "kid");
    }

    /** The alg in an SVID's header. */
    public static String algOf(String jwt) {
        return headerMember(jwt, "alg");
    }

    private static String headerMember(String jwt, String name) {
        try {
            JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(jwt.substring(0, jwt.indexOf('.'))));
            return header.path(name).asText(null);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void sleep(Duration d) {
        if (d.isNegative() || d.isZero()) {
            return;
        }
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        spire.close();
        try {
            deleteClient(env, clientId);
        } catch (RuntimeException ignored) {
            // the server may already be gone at the end of the run
        }
    }
}
