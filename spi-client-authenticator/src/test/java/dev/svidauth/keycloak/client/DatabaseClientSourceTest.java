package dev.svidauth.keycloak.client;

import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.svidauth.keycloak.client.TestClients.client;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The query itself runs against the real server (ClientCredentialsIT checks Server Info says
 * "database query", and every IT resolves clients through it); here: the fallback when Keycloak's
 * JPA store is not on the class path, as in this module's tests.
 */
class DatabaseClientSourceTest {

    @Test
    void withoutKeycloaksJpaStoreItWalksTheClientsAndSaysWhy() {
        assertThatThrownBy(() -> Class.forName(DatabaseClientSource.JPA_PROVIDER)).isInstanceOf(ClassNotFoundException.class);
        DatabaseClientSource source = DatabaseClientSource.forServer();

        assertThat(source.describe()).startsWith("walks every client: Keycloak's JPA store is not available");
        assertThat(source.readsDetached()).as("no background refresh without the query").isFalse();
        assertThat(source.forEachSvidClientDetached("realm-id", "realm", (method, clientId, ids) -> {
            throw new AssertionError("nothing to read");
        })).isFalse();

        List<String> seen = new ArrayList<>();
        source.forEachSvidClient(realm(
                client("spiffe://example.org/a", "client-svid-jwt", Map.of()),
                client("b", "client-svid-jwt", Map.of("svid.spiffe.id", "spiffe://example.org/b")),
                client("c", "client-secret", Map.of("svid.spiffe.id", "spiffe://example.org/c")),
                client("d", "client-svid-x509", Map.of("svid.spiffe.id", "spiffe://example.org/d"))),
                (method, clientId, ids) -> seen.add(method + " " + clientId + "=" + ids));

        assertThat(seen).containsExactly("JWT spiffe://example.org/a=null", "JWT b=spiffe://example.org/b",
                "X509 d=spiffe://example.org/d");
    }

    /**
     * What MariaDB with utf8mb4_general_ci returns for the query: the attribute and the realm id
     * also where they differ in case. Only exact matches reach the index.
     */
    @Test
    void rowsMatchedOnlyByACaseInsensitiveDatabaseAreKeptOutOfTheIndex() {
        List<Object[]> rows = List.of(
                new Object[] {"realm-id", "client-svid-jwt", "a", "svid.spiffe.id", "spiffe://example.org/a"},
                new Object[] {"realm-id", "client-svid-jwt", "b", "SVID.SPIFFE.ID", "spiffe://example.org/b"},
                new Object[] {"realm-id", "client-svid-x509", "c", null, null},
                new Object[] {"REALM-ID", "client-svid-jwt", "d", "svid.spiffe.id", "spiffe://example.org/d"},
                new Object[] {"realm-id", "CLIENT-SVID-JWT", "e", "svid.spiffe.id", "spiffe://example.org/e"});
        List<String> seen = new ArrayList<>();

        DatabaseClientSource.accept(rows, "realm-id", (method, clientId, ids) -> seen.add(method + " " + clientId + "=" + ids));

        assertThat(seen).containsExactly("JWT a=spiffe://example.org/a", "JWT b=null", "X509 c=null");
    }

    private static RealmModel realm(ClientModel... clients) {
        return (RealmModel) Proxy.newProxyInstance(DatabaseClientSourceTest.class.getClassLoader(), new Class<?>[] {RealmModel.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getClientsStream")) {
                        return Stream.of(clients);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
