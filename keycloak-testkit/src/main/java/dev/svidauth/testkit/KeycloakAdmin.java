package dev.svidauth.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A small client for Keycloak's admin REST API, logged in as an administrator of the master
 * realm (password grant of {@code admin-cli}). The access token is cached and fetched again
 * shortly before it expires, or when the server answers 401.
 *
 * <p>Paths are relative to {@code /admin/realms}, e.g. {@code "/svid/clients?clientId=x"}; the
 * caller encodes query values (the helpers below do it themselves). Request bodies are sent as
 * JSON: a {@link String} is taken as JSON text, anything else is written with Jackson.
 */
public final class KeycloakAdmin {

    /** How many events {@link #events(String, String)} asks for. */
    public static final int DEFAULT_MAX_EVENTS = 1000;

    private static final Duration TOKEN_MARGIN = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUrl;
    private final String username;
    private final String password;
    private final HttpClient http;

    private String token;
    private long tokenExpiresAtNanos;

    public KeycloakAdmin(URI baseUrl, String username, String password) {
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        this.username = Objects.requireNonNull(username, "username");
        this.password = Objects.requireNonNull(password, "password");
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** The Jackson mapper used for bodies and answers. */
    public static ObjectMapper json() {
        return JSON;
    }

    /** A valid admin access token (cached). */
    public synchronized String accessToken() {
        if (token == null || System.nanoTime() - tokenExpiresAtNanos > 0) {
            fetchToken();
        }
        return token;
    }

    private void fetchToken() {
        String form = "grant_type=password&client_id=admin-cli"
                + "&username=" + encode(username)
                + "&password=" + encode(password);
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create(baseUrl + "/realms/master/protocol/openid-connect/token"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<String> response = exchange(request);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("admin login failed: HTTP " + response.statusCode() + " " + response.body());
        }
        JsonNode answer = parse(response.body());
        token = answer.path("access_token").asText(null);
        if (token == null) {
            throw new IllegalStateException("admin login answer has no access_token: " + response.body());
        }
        long lifetime = Math.max(1, answer.path("expires_in").asLong(60));
        long usable = Math.max(1, lifetime - TOKEN_MARGIN.toSeconds());
        tokenExpiresAtNanos = System.nanoTime() + Duration.ofSeconds(usable).toNanos();
    }

    private synchronized void forgetToken() {
        token = null;
    }

    /**
     * Sends a request and returns the raw answer, whatever its status (for asserting 400s).
     *
     * @param path relative to {@code /admin/realms}
     * @param jsonBodyOrNull request body, or null for none
     */
    public HttpResponse<String> send(String method, String path, Object jsonBodyOrNull) {
        HttpResponse<String> response = exchange(request(method, path, jsonBodyOrNull, accessToken()));
        if (response.statusCode() == 401) {
            forgetToken();
            response = exchange(request(method, path, jsonBodyOrNull, accessToken()));
        }
        return response;
    }

    /** GET; the answer as JSON ({@link MissingNode} if empty). */
    public JsonNode get(String path) {
        return checked("GET", path, send("GET", path, null));
    }

    /**
     * POST. The answer as JSON; for a {@code 201 Created} without body, an object with
     * {@code location} and {@code id} (the last segment of the {@code Location} header).
     */
    public JsonNode post(String path, Object body) {
        return checked("POST", path, send("POST", path, body));
    }

    /** PUT; the answer as JSON ({@link MissingNode} if empty, as for the usual 204). */
    public JsonNode put(String path, Object body) {
        return checked("PUT", path, send("PUT", path, body));
    }

    public void delete(String path) {
        checked("DELETE", path, send("DELETE", path, null));
    }

    /** The internal id of a client. */
    public String clientUuid(String realm, String clientId) {
        return client(realm, clientId).path("id").asText();
    }

    /** The representation of a client, found by its {@code clientId}. */
    public JsonNode client(String realm, String clientId) {
        JsonNode found = get("/" + realm + "/clients?clientId=" + encode(clientId));
        if (!found.isArray() || found.isEmpty()) {
            throw new IllegalStateException("no client '" + clientId + "' in realm '" + realm + "'");
        }
        return found.get(0);
    }

    /** Reads the client, merges {@code attrs} into its attributes and writes it back. */
    public void updateClientAttributes(String realm, String clientId, Map<String, String> attrs) {
        ObjectNode client = (ObjectNode) client(realm, clientId).deepCopy();
        JsonNode existing = client.get("attributes");
        ObjectNode attributes = existing instanceof ObjectNode ? (ObjectNode) existing : client.putObject("attributes");
        attrs.forEach(attributes::put);
        put("/" + realm + "/clients/" + client.path("id").asText(), client);
    }

    /** The realm's stored events of a type (all types if null), newest first. */
    public List<JsonNode> events(String realm, String type) {
        return events(realm, type, DEFAULT_MAX_EVENTS);
    }

    /** The realm's stored events of a type (all types if null), newest first, at most {@code max}. */
    public List<JsonNode> events(String realm, String type, int max) {
        String query = "?max=" + max + (type == null ? "" : "&type=" + encode(type));
        JsonNode answer = get("/" + realm + "/events" + query);
        List<JsonNode> events = new ArrayList<>();
        answer.forEach(events::add);
        return events;
    }

    /** Deletes the realm's stored events. */
    public void clearEvents(String realm) {
        delete("/" + realm + "/events");
    }

    /** URL-encodes a query or path value. */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    // ------------------------------------------------------------------------------------------

    private HttpRequest request(String method, String path, Object body, String bearer) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(adminUri(path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + bearer)
                .header("Accept", "application/json");
        if (body == null) {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            builder.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(toJson(body), StandardCharsets.UTF_8));
        }
        return builder.build();
    }

    URI adminUri(String path) {
        String p = path.startsWith("/") ? path : "/" + path;
        return URI.create(baseUrl + "/admin/realms" + p);
    }

    static String toJson(Object body) {
        if (body instanceof String) {
            return (String) body;
        }
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write request body as JSON", e);
        }
    }

    private HttpResponse<String> exchange(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + request.method() + " " + request.uri(), e);
        }
    }

    private static JsonNode checked(String method, String path, HttpResponse<String> response) {
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            throw new IllegalStateException(method + " /admin/realms" + (path.startsWith("/") ? "" : "/") + path
                    + " answered HTTP " + status + ": " + response.body());
        }
        String body = response.body();
        if (body != null && !body.isBlank()) {
            return parse(body);
        }
        return response.headers().firstValue("Location")
                .<JsonNode>map(location -> {
                    ObjectNode created = JSON.createObjectNode();
                    created.put("location", location);
                    created.put("id", location.substring(location.lastIndexOf('/') + 1));
                    return created;
                })
                .orElse(MissingNode.getInstance());
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not JSON: " + body, e);
        }
    }
}
