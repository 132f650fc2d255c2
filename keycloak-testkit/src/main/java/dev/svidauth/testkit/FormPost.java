package dev.svidauth.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * An {@code application/x-www-form-urlencoded} POST, as a workload sends to a token endpoint, and
 * its answer. Shared by the integration tests and the live demo.
 */
public final class FormPost {

    private static final ObjectMapper JSON = new ObjectMapper();

    private FormPost() {
    }

    /** The form body, each name and value URL-encoded, joined with {@code &} in the map's order. */
    public static String body(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
    }

    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** POSTs {@code form} to {@code uri}, with HTTP Basic credentials ("id:secret") unless null. */
    public static Answer post(HttpClient http, URI uri, Map<String, String> form, String basic) {
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body(form)));
        if (basic != null) {
            req.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
        }
        try {
            HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException("POST " + uri + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("POST " + uri + " interrupted", e);
        }
    }

    /** The decoded payload of a compact JWT. */
    public static JsonNode payload(String jwt) {
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A status and body; {@link #json} is null when the body is not JSON. */
    public static final class Answer {
        public final int status;
        public final String body;
        public final JsonNode json;

        public Answer(int status, String body) {
            this.status = status;
            this.body = body;
            JsonNode parsed;
            try {
                parsed = JSON.readTree(body);
            } catch (IOException e) {
                parsed = null;
            }
            this.json = parsed;
        }

        /** OAuth {@code error}, or null. */
        public String error() {
            return json == null ? null : json.path("error").asText(null);
        }

        /** OAuth {@code error_description}, or null. */
        public String description() {
            return json == null ? null : json.path("error_description").asText(null);
        }

        /** The decoded payload of the {@code access_token} of a token response. */
        public JsonNode accessToken() {
            return payload(json.path("access_token").asText());
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }
}
