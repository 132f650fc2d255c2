package dev.svidauth.keycloak.client;

import org.junit.jupiter.api.Test;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hand-over of a verified SVID from client authentication to the mappers: only tokens of the
 * client that presented the SVID see it, a newer SVID replaces an older one, and a client session
 * of another client of the same user session sees nothing.
 */
class ClientBoundSvidTest {

    private static final Map<String, String> AGENT = Map.of(
            "svid.sub", "spiffe://example.org/ns/agents/web",
            "svid.trust_domain", "example.org",
            "svid.path", "/ns/agents/web",
            "svid.kid", "k1",
            "svid.iss", "https://oidc.example.org",
            "svid.claims", "{\"client_type\":\"ai-agent\"}");

    private final Map<String, Object> requestAttributes = new HashMap<>();
    private final KeycloakSession session = proxy(KeycloakSession.class, (name, args) -> {
        switch (name) {
            case "setAttribute":
                requestAttributes.put((String) args[0], args[1]);
                return null;
            case "getAttribute":
                return requestAttributes.get((String) args[0]);
            default:
                throw new UnsupportedOperationException(name);
        }
    });

    @Test
    void tokenOfThePresentingClientGetsTheSvidAndItsClientSessionKeepsIt() {
        ClientModel agentWeb = client("uuid-agent-web");
        Map<String, String> agentWebNotes = new HashMap<>();
        ClientBoundSvid.publish(session, agentWeb, AGENT);

        Function<String, String> notes = ClientBoundSvid.notesFor(session, clientSession(agentWeb, agentWebNotes));

        assertThat(notes.apply("svid.sub")).isEqualTo("spiffe://example.org/ns/agents/web");
        assertThat(agentWebNotes).containsAllEntriesOf(AGENT).hasSize(AGENT.size());
        assertThat(ClientBoundSvid.storedNotes(clientSession(agentWeb, agentWebNotes)).apply("svid.claims"))
                .isEqualTo("{\"client_type\":\"ai-agent\"}");
    }

    @Test
    void anotherClientOfTheSameRequestOrUserSessionSeesNothing() {
        ClientModel agentWeb = client("uuid-agent-web");
        ClientModel webApp = client("uuid-web-app");
        Map<String, String> webAppNotes = new HashMap<>();
        webAppNotes.put("some.other.note", "x");
        ClientBoundSvid.publish(session, agentWeb, AGENT);

        Function<String, String> notes = ClientBoundSvid.notesFor(session, clientSession(webApp, webAppNotes));

        for (String name : ClientBoundSvid.NOTE_NAMES) {
            assertThat(notes.apply(name)).as(name).isNull();
        }
        assertThat(webAppNotes).containsOnlyKeys("some.other.note");
    }

    @Test
    void aNewerSvidReplacesTheStoredOneAndRemovesNotesItLacks() {
        ClientModel agentWeb = client("uuid-agent-web");
        Map<String, String> stored = new HashMap<>(AGENT);
        Map<String, String> newer = new HashMap<>(AGENT);
        newer.remove("svid.iss");
        newer.remove("svid.kid");
        newer.put("svid.claims", "{\"client_type\":\"batch-job\"}");
        ClientBoundSvid.publish(session, agentWeb, newer);

        Function<String, String> notes = ClientBoundSvid.notesFor(session, clientSession(agentWeb, stored));

        assertThat(notes.apply("svid.claims")).isEqualTo("{\"client_type\":\"batch-job\"}");
        assertThat(notes.apply("svid.iss")).isNull();
        assertThat(stored).isEqualTo(newer);
    }

    @Test
    void withoutAnSvidInTheRequestTheStoredNotesServeAndOnlyOurNames() {
        ClientModel agentWeb = client("uuid-agent-web");
        Map<String, String> stored = new HashMap<>(AGENT);
        stored.put("clientId", "agent-web");

        Function<String, String> notes = ClientBoundSvid.notesFor(session, clientSession(agentWeb, stored));

        assertThat(notes.apply("svid.sub")).isEqualTo("spiffe://example.org/ns/agents/web");
        assertThat(notes.apply("clientId")).isNull();
    }

    @Test
    void noClientSessionMeansNoSvid() {
        assertThat(ClientBoundSvid.notesFor(session, null).apply("svid.sub")).isNull();
        assertThat(ClientBoundSvid.storedNotes(null).apply("svid.sub")).isNull();
    }

    private static ClientModel client(String id) {
        return proxy(ClientModel.class, (name, args) -> {
            if ("getId".equals(name)) {
                return id;
            }
            throw new UnsupportedOperationException(name);
        });
    }

    private static AuthenticatedClientSessionModel clientSession(ClientModel client, Map<String, String> notes) {
        return proxy(AuthenticatedClientSessionModel.class, (name, args) -> {
            switch (name) {
                case "getClient":
                    return client;
                case "getNote":
                    return notes.get((String) args[0]);
                case "setNote":
                    notes.put((String) args[0], (String) args[1]);
                    return null;
                case "removeNote":
                    notes.remove((String) args[0]);
                    return null;
                default:
                    throw new UnsupportedOperationException(name);
            }
        });
    }

    private interface Answer {
        Object answer(String method, Object[] args);
    }

    private static <T> T proxy(Class<T> type, Answer answer) {
        return type.cast(Proxy.newProxyInstance(ClientBoundSvidTest.class.getClassLoader(), new Class<?>[] {type},
                (p, method, args) -> answer.answer(method.getName(), args)));
    }
}
