package dev.svidauth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.svidauth.testkit.KeycloakAdmin;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Creates the benchmark realms and clients through the admin REST API. */
final class Setup {

    static final String REALM = "bench";
    static final String NATIVE_REALM = "bench-native";

    static final String SECRET_CLIENT = "bench-secret";
    static final String SECRET = "bench-secret-value-0123456789";
    static final String SVID_CLIENT = "bench-svid";
    static final String SVID_ID = "spiffe://example.org/ns/bench/sa/svid";
    static final String JWT_CLIENT = "bench-jwt";
    static final String X509_CLIENT = "bench-x509";
    static final String X509_ID = "spiffe://example.org/ns/bench/sa/x509";
    static final String WIT_CLIENT = "bench-wit";
    static final String WIT_TRUST_DOMAIN = "wit.example.org";
    static final String WIT_ID = "spiffe://wit.example.org/ns/bench/sa/wit";
    static final String NATIVE_CLIENT = "bench-native";
    static final String NATIVE_ID = "spiffe://example.org/ns/bench/sa/native";
    static final String NATIVE_IDP = "spire";

    private static final ObjectMapper JSON = KeycloakAdmin.json();

    private final KeycloakAdmin admin;
    private final JsonNode shippedRealm;

    Setup(KeycloakAdmin admin, Path realmExport) throws IOException {
        this.admin = admin;
        this.shippedRealm = JSON.readTree(Files.readString(realmExport));
    }

    /**
     * A realm with the shipped realm-export's client authentication flow (client-svid-jwt before
     * federated-jwt) and Keycloak's defaults otherwise: no stored events, 5 min access tokens.
     */
    void createSvidRealm(String name) {
        ObjectNode realm = baseRealm(name);
        realm.set("authenticationFlows", shippedRealm.get("authenticationFlows").deepCopy());
        realm.put("clientAuthenticationFlow", shippedRealm.get("clientAuthenticationFlow").asText());
        admin.post("", realm);
    }

    /** A realm with Keycloak's stock flows only (no client-svid-jwt anywhere), for the native SPIFFE peer. */
    void createStockRealm(String name) {
        admin.post("", baseRealm(name));
    }

    private ObjectNode baseRealm(String name) {
        ObjectNode realm = JSON.createObjectNode();
        realm.put("realm", name);
        realm.put("enabled", true);
        realm.put("sslRequired", "external");
        realm.put("accessTokenLifespan", shippedRealm.path("accessTokenLifespan").asInt(300));
        realm.put("eventsEnabled", false);
        return realm;
    }

    void createSecretClient(String realm) {
        admin.post("/" + realm + "/clients", secretClient(SECRET_CLIENT, SECRET));
    }

    void createSvidClient(String realm, String clientId, String spiffeId, URI keys) {
        admin.post("/" + realm + "/clients", svidClient(clientId, spiffeId, keys));
    }

    /**
     * A {@code client-svid-x509} client as the realm-export's warehouse-api: exact
     * {@code svid.spiffe.id}, {@code svid.bundle.uri} = the emulator's bundle endpoint (its
     * {@code x509-svid} authorities verify the chain), access tokens bound to the certificate.
     */
    void createX509Client(String realm, URI bundle) {
        ObjectNode c = serviceClient(X509_CLIENT, "client-svid-x509");
        ObjectNode a = c.putObject("attributes");
        a.put("svid.spiffe.id", X509_ID);
        a.put("svid.bundle.uri", bundle.toString());
        a.put("tls.client.certificate.bound.access.tokens", "true");
        admin.post("/" + realm + "/clients", c);
    }

    /**
     * A {@code client-svid-wit} client: exact {@code svid.spiffe.id}, {@code svid.bundle.uri} = the
     * WIT emulator's bundle endpoint, whose {@code wit-svid} keys verify the WIT-SVIDs.
     */
    void createWitClient(String realm, URI bundle) {
        ObjectNode c = serviceClient(WIT_CLIENT, "client-svid-wit");
        ObjectNode a = c.putObject("attributes");
        a.put("svid.spiffe.id", WIT_ID);
        a.put("svid.bundle.uri", bundle.toString());
        admin.post("/" + realm + "/clients", c);
    }

    void createClientJwtClient(String realm, URI jwks) {
        ObjectNode c = serviceClient(JWT_CLIENT, "client-jwt");
        ObjectNode a = c.putObject("attributes");
        a.put("use.jwks.url", "true");
        a.put("jwks.url", jwks.toString());
        a.put("token.endpoint.auth.signing.alg", "ES256");
        admin.post("/" + realm + "/clients", c);
    }

    /** Keycloak's own SPIFFE support: a spiffe identity provider and a federated-jwt client bound to it. */
    void createNativeSpiffe(String realm, URI bundle) {
        ObjectNode idp = JSON.createObjectNode();
        idp.put("alias", NATIVE_IDP);
        idp.put("providerId", "spiffe");
        idp.put("enabled", true);
        ObjectNode cfg = idp.putObject("config");
        cfg.put("trustDomain", "spiffe://example.org");
        cfg.put("bundleEndpoint", bundle.toString());
        admin.post("/" + realm + "/identity-provider/instances", idp);

        ObjectNode c = serviceClient(NATIVE_CLIENT, "federated-jwt");
        ObjectNode a = c.putObject("attributes");
        a.put("jwt.credential.issuer", NATIVE_IDP);
        a.put("jwt.credential.sub", NATIVE_ID);
        admin.post("/" + realm + "/clients", c);
    }

    /**
     * Creates {@code clients} through the clients endpoint (which also creates each one's service
     * account, as client_credentials needs), four at a time; returns the seconds it took.
     */
    double createClients(String realm, List<ObjectNode> clients) throws InterruptedException, ExecutionException {
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (ObjectNode c : clients) {
                done.add(pool.submit(() -> admin.post("/" + realm + "/clients", c)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** A client-secret service client (client_secret_post). */
    static ObjectNode secretClient(String clientId, String secret) {
        ObjectNode c = serviceClient(clientId, "client-secret");
        c.put("secret", secret);
        return c;
    }

    /** A client-svid-jwt service client for {@code spiffeIdAttribute} (exact or {@code /*}), keys from {@code keys}. */
    static ObjectNode svidClient(String clientId, String spiffeIdAttribute, URI keys) {
        ObjectNode c = serviceClient(clientId, "client-svid-jwt");
        ObjectNode a = c.putObject("attributes");
        a.put("svid.spiffe.id", spiffeIdAttribute);
        a.put("svid.jwks.uri", keys.toString());
        return c;
    }

    /** The clients of {@link ScaleMix}, by partial import in batches (two at a time); returns the seconds it took. */
    double createScaleClients(String realm, int total, URI keys) throws InterruptedException, ExecutionException {
        long t0 = System.nanoTime();
        List<ScaleMix.Client> clients = ScaleMix.clients(total);
        int batch = 100;
        List<ObjectNode> bodies = new ArrayList<>();
        for (int from = 0; from < clients.size(); from += batch) {
            ObjectNode body = JSON.createObjectNode();
            body.put("ifResourceExists", "FAIL");
            ArrayNode arr = body.putArray("clients");
            for (ScaleMix.Client sc : clients.subList(from, Math.min(clients.size(), from + batch))) {
                if (sc.measured()) {
                    continue; // created below, through the clients endpoint, which also creates its service account
                }
                ObjectNode c = client(sc.clientId(), "client-svid-jwt");
                // no client scopes: the decoys only populate the realm; this keeps creating 10,000 of them short
                c.putArray("defaultClientScopes");
                c.putArray("optionalClientScopes");
                ObjectNode a = c.putObject("attributes");
                if (sc.spiffeIdAttribute() != null) {
                    a.put("svid.spiffe.id", sc.spiffeIdAttribute());
                }
                a.put("svid.jwks.uri", keys.toString());
                arr.add(c);
            }
            if (!arr.isEmpty()) {
                bodies.add(body);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (ObjectNode body : bodies) {
                done.add(pool.submit(() -> {
                    JsonNode answer = admin.post("/" + realm + "/partialImport", body);
                    int expected = body.get("clients").size();
                    if (answer.path("added").asInt(-1) != expected) {
                        throw new IllegalStateException("partial import into " + realm + " added " + answer.path("added") + " of " + expected);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        for (ScaleMix.Client sc : clients) {
            if (sc.measured()) {
                createSvidClient(realm, sc.clientId(), sc.spiffeIdAttribute(), keys);
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static ObjectNode serviceClient(String clientId, String authenticator) {
        ObjectNode c = client(clientId, authenticator);
        c.put("serviceAccountsEnabled", true);
        return c;
    }

    private static ObjectNode client(String clientId, String authenticator) {
        ObjectNode c = JSON.createObjectNode();
        c.put("clientId", clientId);
        c.put("enabled", true);
        c.put("protocol", "openid-connect");
        c.put("publicClient", false);
        c.put("clientAuthenticatorType", authenticator);
        c.put("standardFlowEnabled", false);
        c.put("directAccessGrantsEnabled", false);
        c.put("serviceAccountsEnabled", false);
        return c;
    }

}
