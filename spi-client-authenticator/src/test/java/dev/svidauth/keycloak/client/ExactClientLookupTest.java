package dev.svidauth.keycloak.client;

import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Lookups by clientId against a realm whose database ignores case, as MariaDB with utf8mb4_general_ci does. */
class ExactClientLookupTest {

    private final ClientModel inventory = TestClients.client("spiffe://example.org/ns/sa/inventory", "client-svid-jwt", Map.of());
    private final List<String> asked = new ArrayList<>();
    private final RealmModel realm = (RealmModel) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RealmModel.class},
            (proxy, method, args) -> {
                if (method.getName().equals("getClientByClientId")) {
                    asked.add((String) args[0]);
                    return inventory.getClientId().equalsIgnoreCase((String) args[0]) ? inventory : null;
                }
                throw new UnsupportedOperationException(method.getName());
            });

    @Test
    void theClientWhoseClientIdIsExactlyTheOneAskedForIsFound() {
        assertThat(ExactClientLookup.byClientId(realm, "spiffe://example.org/ns/sa/inventory")).isSameAs(inventory);
    }

    @Test
    void aClientTheDatabaseMatchedOnlyByIgnoringCaseIsNotFound() {
        assertThat(ExactClientLookup.byClientId(realm, "spiffe://example.org/ns/sa/Inventory")).isNull();
        assertThat(ExactClientLookup.byClientId(realm, "SPIFFE://EXAMPLE.ORG/NS/SA/INVENTORY")).isNull();
        assertThat(asked).as("the database did answer with the case variant").hasSize(2);
    }

    @Test
    void noClientIdFindsNothingWithoutAsking() {
        assertThat(ExactClientLookup.byClientId(realm, null)).isNull();
        assertThat(asked).isEmpty();
    }
}
