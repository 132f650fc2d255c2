package dev.svidauth.keycloak.client;

import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

/**
 * Finds a client by clientId with an exact, case-sensitive comparison, whatever the database does.
 *
 * <p>{@link RealmModel#getClientByClientId} compares in the database: on MariaDB and MySQL with
 * their usual collations ({@code utf8mb4_general_ci}, Debian's default) and on SQL Server with its
 * default one, {@code spiffe://td/ns/sa/Inventory} finds the client {@code spiffe://td/ns/sa/inventory}.
 * A SPIFFE ID's path may hold upper- and lower-case letters and, like any URI path (RFC 3986,
 * section 6.2.2.1), compares case-sensitively, so the two are different workloads; a client_id is
 * an exact identifier too. A client is taken only when its clientId is byte-equal to the one asked
 * for. A database that ignores case cannot hold two clientIds that differ only in case (its unique
 * index ignores case as well), so the client refused here never hides an exact one.
 */
public final class ExactClientLookup {

    private ExactClientLookup() {
    }

    /** The client of {@code realm} whose clientId equals {@code clientId} exactly, or null. */
    public static ClientModel byClientId(RealmModel realm, String clientId) {
        if (clientId == null) {
            return null;
        }
        ClientModel client = realm.getClientByClientId(clientId);
        return client != null && clientId.equals(client.getClientId()) ? client : null;
    }
}
