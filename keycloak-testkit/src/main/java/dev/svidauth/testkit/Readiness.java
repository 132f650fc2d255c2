package dev.svidauth.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads the answer of Keycloak's {@code /health/ready} endpoint (served on the management port),
 * e.g. {@code {"status": "UP", "checks": [...]}}.
 */
final class Readiness {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Readiness() {
    }

    /** True only for HTTP 200 with a JSON body whose {@code status} is {@code UP}. */
    static boolean isUp(int httpStatus, String body) {
        return httpStatus == 200 && "UP".equals(status(body));
    }

    /** The {@code status} field of a health answer, or {@code null} if the body is not such JSON. */
    static String status(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(body);
            JsonNode status = node == null ? null : node.get("status");
            return status != null && status.isTextual() ? status.asText() : null;
        } catch (Exception e) {
            return null;
        }
    }
}
