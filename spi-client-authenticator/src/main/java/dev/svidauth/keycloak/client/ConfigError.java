package dev.svidauth.keycloak.client;

import java.util.Objects;

/**
 * One problem with a client's {@code svid.*} settings.
 *
 * @param attribute the attribute at fault (for a missing key source: {@code svid.jwks.uri})
 * @param kind      an invalid value, or a required setting that is absent
 * @param message   the sentence shown to the admin (400 answer) and in the log; it names the attribute
 */
public record ConfigError(String attribute, Kind kind, String message) {

    /** What is wrong. */
    public enum Kind {
        /** The value is set but unusable; the setting falls back to its default, or to nothing. */
        INVALID,
        /** A setting that clients of {@code client-svid-jwt} need is absent. */
        MISSING
    }

    public ConfigError {
        Objects.requireNonNull(attribute, "attribute");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    /** {@code <attribute>: <problem>}. */
    public static ConfigError invalid(String attribute, String problem) {
        return new ConfigError(attribute, Kind.INVALID, attribute + ": " + problem);
    }

    /** A required setting is absent; {@code sentence} says what to set. */
    public static ConfigError missing(String attribute, String sentence) {
        return new ConfigError(attribute, Kind.MISSING, sentence);
    }

    @Override
    public String toString() {
        return message;
    }
}
