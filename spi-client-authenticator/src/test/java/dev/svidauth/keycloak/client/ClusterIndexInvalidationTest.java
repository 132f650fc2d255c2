package dev.svidauth.keycloak.client;


import dev.svidauth.spiffe.SpiffeId;
import org.junit.jupiter.api.Test;
import org.keycloak.cluster.ClusterEvent;
import org.keycloak.models.RealmModel;

import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keycloak's realm-cache events from other nodes drop the SPIFFE ID index of the client's realm
 * (read from the event's realmId field), or of every realm for a realm removal or a cache clear.
 */
class ClusterIndexInvalidationTest {

    /** Shaped like keycloak-model-infinispan's BaseClientEvent: realmId in a field without a getter. */
    abstract static class BaseClientEvent implements ClusterEvent {
        final String realmId;

        BaseClientEvent(String realmId) {
            this.realmId = realmId;
        }
    }

    static final class ClientAddedEvent extends BaseClientEvent {
        ClientAddedEvent(String realmId) {
            super(realmId);
        }
    }

    static final class ClientUpdatedEvent extends BaseClientEvent {
        ClientUpdatedEvent(String realmId) {
            super(realmId);
        }
    }

    static final class ClientRemovedEvent implements ClusterEvent {
        // no realmId: a Keycloak that renamed the field
    }

    static final class RealmRemovedEvent implements ClusterEvent {
    }

    static final class RoleAddedEvent extends BaseClientEvent {
        RoleAddedEvent(String realmId) {
            super(realmId);
        }
    }

    private final Map<String, AtomicInteger> builds = new HashMap<>();
    private final SvidClientIndex index = new SvidClientIndex((realm, sink) -> {
        builds.computeIfAbsent(realm.getId(), k -> new AtomicInteger()).incrementAndGet();
        sink.accept(SvidMethod.JWT, "c", "spiffe://td/a");
    }, Clock.systemUTC(), Duration.ofHours(1), Duration.ofHours(1));
    private final ClusterIndexInvalidation listener = new ClusterIndexInvalidation(index);

    private static RealmModel realm(String id) {
        return (RealmModel) Proxy.newProxyInstance(ClusterIndexInvalidationTest.class.getClassLoader(), new Class<?>[] {RealmModel.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getId" -> id;
                    case "getName" -> "name-" + id;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private int lookups(String realmId) {
        try {
            index.lookup(realm(realmId), SvidMethod.JWT, SpiffeId.parse("spiffe://td/a"));
        } catch (dev.svidauth.spiffe.InvalidSpiffeIdException e) {
            throw new AssertionError(e);
        }
        return builds.getOrDefault(realmId, new AtomicInteger()).get();
    }

    @Test
    void aClientEventDropsOnlyItsRealmsIndex() {
        assertThat(lookups("r1")).isEqualTo(1);
        assertThat(lookups("r2")).isEqualTo(1);
        listener.eventReceived(new ClientAddedEvent("r1"));
        assertThat(lookups("r1")).as("rebuilt").isEqualTo(2);
        assertThat(lookups("r2")).as("kept").isEqualTo(1);
        listener.eventReceived(new ClientUpdatedEvent("r2"));
        assertThat(lookups("r1")).isEqualTo(2);
        assertThat(lookups("r2")).isEqualTo(2);
    }

    @Test
    void withoutARealmIdOrForARealmRemovalEveryIndexIsDropped() {
        lookups("r1");
        lookups("r2");
        listener.eventReceived(new ClientRemovedEvent());
        assertThat(lookups("r1")).isEqualTo(2);
        assertThat(lookups("r2")).isEqualTo(2);
        listener.eventReceived(new RealmRemovedEvent());
        assertThat(lookups("r1")).isEqualTo(3);
        assertThat(lookups("r2")).isEqualTo(3);
    }

    @Test
    void otherEventsKeepTheIndex() {
        lookups("r1");
        listener.eventReceived(new RoleAddedEvent("r1"));
        listener.eventReceived(null);
        assertThat(lookups("r1")).isEqualTo(1);
    }

    @Test
    void realmIdIsReadFromTheEventsField() {
        assertThat(ClusterIndexInvalidation.realmIdOf(new ClientAddedEvent("abc"))).isEqualTo("abc");
        assertThat(ClusterIndexInvalidation.realmIdOf(new ClientRemovedEvent())).isNull();
    }
}
